"""Alice works an inbound result in Chromium at desk and phone widths: she matches a message
from the reporting system to a patient and processes it again."""

import pytest

from exchange.inbound import inbound_receive
from exchange.models import InboundMessage, InboundStatus, Sender
from tests.exchange.hl7_messages import oru

WIDTHS = (1366, 390)


def no_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", WIDTHS)
def test_alice_matches_an_inbound_result_to_a_patient(
    live_server, page, sign_in, alice, paula, hologic, width, tmp_path
):
    Sender.objects.create(application="DXA-REPORTS", facility="CLINIC", device=hologic)
    inbound_receive(raw=oru(mrn="LAB-0001"))
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("alice")
    page.get_by_role("link", name="Open the inbound results").click()
    assert page.get_by_text("No patient has the MRN LAB-0001").first.is_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / f"inbound-list-{width}.png"), full_page=True)

    page.get_by_role(
        "link", name=InboundMessage.objects.get().received_at.strftime("%Y-")
    ).first.click()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / f"inbound-detail-{width}.png"), full_page=True)
    page.get_by_label("Match to the patient with MRN").fill("MRN-PAULA")
    page.get_by_role("button", name="Process again").click()
    page.wait_for_load_state()
    assert page.get_by_text("stored as a draft").first.is_visible()
    assert InboundMessage.objects.get().status == InboundStatus.STORED
    assert "{{" not in page.content() and "{%" not in page.content()

    page.goto(f"{live_server.url}/exchange/fhir/import/")
    assert page.get_by_label("FHIR Bundle (JSON)").is_visible()
    assert no_horizontal_overflow(page)
    page.screenshot(path=str(tmp_path / f"fhir-import-{width}.png"), full_page=True)
