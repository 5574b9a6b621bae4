"""Numbers pasted from a report keep their sign and magnitude (docs/clinical-rules.md §12)."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from scans.models import Device, DexaScan
from tests.conftest import make_patient


@pytest.fixture
def clipboard(page):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    def paste(selector: str, text: str) -> None:
        # The clipboard holds the text as a report viewer would put it there; Ctrl+V pastes.
        page.evaluate("text => navigator.clipboard.writeText(text)", text)
        field = page.locator(selector)
        field.click()
        field.press("Control+V")
        expect(field).to_have_value(text)

    return paste


def test_pasting_report_numbers_into_the_scan_form_stores_them_as_printed(
    live_server, page, sign_in, alice, clipboard
):
    Device.objects.create(manufacturer="hologic", model="Horizon A", serial="HZ-7")
    iris = make_patient("E2E-0043", family_name="Marsh", given_name="Iris")
    sign_in("alice")
    page.goto(f"{live_server.url}/scans/patient/{iris.pk}/new/")
    page.get_by_label("Device").select_option(label="Hologic Horizon A #HZ-7")
    page.get_by_label("Scan date").fill("2025-09-01")
    # Row 1 is the lumbar spine, row 2 the left femoral neck.
    clipboard("#id_sites-0-bmd", "0,812")
    clipboard("#id_sites-0-t_score", "\u22121.9")  # the real minus sign
    clipboard("#id_sites-1-bmd", "0,630")
    clipboard("#id_sites-1-t_score", "\u20131,9")  # an en dash and a decimal comma
    page.get_by_role("button", name="Save scan").click()

    expect(page).to_have_url(re.compile(r"/patients/\d+/$"))
    scan = DexaScan.objects.get(patient=iris)
    stored = {m.site: (m.bmd, m.t_score) for m in scan.measurements.all()}
    assert stored == {
        "lumbar_spine": (Decimal("0.812"), Decimal("-1.9")),
        "femoral_neck": (Decimal("0.630"), Decimal("-1.9")),
    }
    # A scan logged on the form is a draft: its own reading is in the record's draft block.
    draft = page.get_by_test_id("draft-block")
    expect(draft.get_by_test_id("scan-diagnosis")).to_contain_text("lowest T-score −1.9")
