"""A caregiver's journey: the patient invites her daughter, the invitation email is caught by a
real SMTP server, the daughter signs up from its link on her phone, sees her mother's result,
and loses access as soon as her mother ends it."""

import datetime
import email
import re
import socket

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.osteoclinic.test_patient_record import scan
from tests.outbox.smtp import SMTPServer
from tests.tasks import run_tasks

# Loopback ports for the test's SMTP server, apart from those of other servers.
SMTP_PORTS = range(2750, 2800)
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def smtp_port() -> int:
    for port in SMTP_PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail(f"No free port in {SMTP_PORTS} for the SMTP server.")


@pytest.fixture
def smtp(settings):
    server = SMTPServer(smtp_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    server.start()
    yield server
    server.stop()


def fits_and_passes_axe(page, shots, name: str, context: str | None = None) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{name}: horizontal scroll, {widths[0]}px > {widths[1]}px"
    assert "{{" not in page.content() and "{%" not in page.content(), name
    options = {"runOnly": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}
    results = Axe().run(page, context=context, options=options)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


def sign_in(page, url: str, username: str, password: str = "pass-for-tests") -> None:
    page.goto(f"{url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def test_a_caregiver_is_invited_signs_up_sees_the_result_and_loses_access_on_revoking(
    live_server, browser, paula, hologic, smtp, tmp_path
):
    scan(paula, hologic, datetime.date(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    mother = browser.new_context(viewport=DESKTOP).new_page()
    sign_in(mother, live_server.url, "paula")

    # Paula invites her daughter from her portal.
    mother.get_by_role("link", name="Who can see my portal").click()
    fits_and_passes_axe(mother, tmp_path, "caregivers-empty-desktop")
    mother.get_by_label("Caregiver's name").fill("Jane Doe")
    mother.get_by_label("Caregiver's email").fill("jane@example.org")
    mother.get_by_label("Relationship").fill("daughter")
    mother.get_by_role("button", name="Send the invitation").click()
    expect(mother.get_by_role("status")).to_contain_text("An invitation is on its way")
    expect(mother.get_by_test_id("caregiver-grant")).to_contain_text("Invited")

    # Nothing was sent from the request; a worker sends it to the SMTP server, once.
    assert smtp.received == []
    assert run_tasks() == 1
    assert len(smtp.received) == 1 and smtp.received[0].rcpt_tos == ["jane@example.org"]
    body = email.message_from_bytes(smtp.received[0].content).get_payload(decode=True).decode()
    assert "-2.7" not in body and "MRN" not in body
    link = re.search(r"https?://\S+", body).group(0)

    # Jane signs up on her phone and sees her mother's result.
    daughter = browser.new_context(viewport=PHONE).new_page()
    daughter.goto(link)
    expect(daughter.get_by_role("heading", level=1)).to_have_text(
        "Help Paula Fischer with their portal"
    )
    fits_and_passes_axe(daughter, tmp_path, "invitation-phone")
    daughter.get_by_label("First name").fill("Jane")
    daughter.get_by_label("Last name").fill("Doe")
    daughter.get_by_label("Username").fill("jane")
    daughter.locator("#id_password1").fill("Helping-mum-with-bones-9")
    daughter.locator("#id_password2").fill("Helping-mum-with-bones-9")
    daughter.get_by_role("button", name="Create my account and accept").click()
    expect(daughter).to_have_url(re.compile(r"/portal/$"))
    expect(daughter.get_by_test_id("on-behalf-banner")).to_contain_text("Paula Fischer")
    expect(daughter.get_by_test_id("plain-result")).to_contain_text(
        "Your bone density is lower than normal (osteoporosis range)."
    )
    fits_and_passes_axe(daughter, tmp_path, "portal-on-behalf-phone")

    # Paula sees who has access, and who looked.
    mother.reload()
    expect(mother.get_by_test_id("caregiver-grant")).to_contain_text("Has access")
    fits_and_passes_axe(mother, tmp_path, "caregivers-active-desktop")
    mother.set_viewport_size(PHONE)
    fits_and_passes_axe(mother, tmp_path, "caregivers-active-phone")
    mother.set_viewport_size(DESKTOP)
    mother.get_by_role("link", name="Who looked at my record").click()
    expect(mother.locator("main")).to_contain_text("Jane Doe (caregiver)")

    # She ends it; Jane's next request finds nothing.
    mother.get_by_role("link", name="Who can see my portal").click()
    mother.get_by_role("button", name="End Jane Doe's access").click()
    expect(mother.get_by_test_id("caregiver-grant")).to_contain_text("Access ended")
    daughter.reload()
    expect(daughter.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(daughter.get_by_test_id("plain-result")).to_have_count(0)


def test_a_clinician_records_consent_and_a_caregiver_of_two_chooses_whom_to_help(
    live_server, browser, paula, pete, alice, hologic, tmp_path
):
    from tests.conftest import make_caregiver

    scan(pete, hologic, datetime.date(2024, 1, 5), ("lumbar_spine", "", "0.990", "-0.4"))
    carol = make_caregiver("carol", pete, first_name="Carol", last_name="Jones")
    for viewport, width in ((DESKTOP, "desktop"), (PHONE, "phone")):
        clinician = browser.new_context(viewport=viewport).new_page()
        sign_in(clinician, live_server.url, "alice")
        clinician.goto(f"{live_server.url}/patients/{paula.pk}/caregivers/invite/")
        clinician.get_by_role("button", name="Send the invitation").click()
        expect(clinician.get_by_text("Invite a caregiver only with the patient")).to_be_visible()
        fits_and_passes_axe(clinician, tmp_path, f"clinician-invite-errors-{width}")
    clinician.get_by_label("Caregiver's name").fill("Carol Jones")
    clinician.get_by_label("Caregiver's email").fill(carol.email)
    clinician.get_by_label("The patient has agreed").check()
    clinician.get_by_label("How the patient gave consent").fill("In clinic today, in person.")
    clinician.get_by_role("button", name="Send the invitation").click()
    expect(clinician.get_by_test_id("caregiver-grant")).to_contain_text("In clinic today")
    # The record page's own parts are checked elsewhere; here, the caregivers' card.
    card = "section[aria-labelledby=caregivers-heading]"
    fits_and_passes_axe(clinician, tmp_path, "record-caregivers-phone", context=card)

    from outbox.models import Message

    link = re.search(r"https?://\S+", Message.objects.get().body).group(0)
    helper = browser.new_context(viewport=PHONE).new_page()
    sign_in(helper, live_server.url, "carol")
    expect(helper.get_by_test_id("on-behalf-banner")).to_contain_text("Pete Okafor")
    helper.goto(link)
    helper.get_by_role("button", name="Accept with this account").click()
    expect(helper.get_by_test_id("on-behalf-banner")).to_contain_text("Paula Fischer")
    helper.get_by_role("link", name="Switch person").click()
    fits_and_passes_axe(helper, tmp_path, "choose-phone")
    helper.get_by_role("button", name="Pete Okafor").click()
    expect(helper.get_by_test_id("on-behalf-banner")).to_contain_text("Pete Okafor")

    # Carol writes in Pete's diary; the entry says it was hers.
    helper.goto(f"{live_server.url}/portal/symptoms/")
    expect(helper.get_by_test_id("on-behalf")).to_contain_text("on behalf of Pete Okafor")
    helper.get_by_label("3", exact=True).check()
    helper.get_by_label("Hip").check()
    helper.get_by_role("button", name="Save my entry").click()
    expect(helper.get_by_test_id("entered-by")).to_have_text(
        "Entered on Pete's behalf by Carol Jones (caregiver)."
    )
    fits_and_passes_axe(helper, tmp_path, "diary-on-behalf-phone")
    helper.set_viewport_size(DESKTOP)
    fits_and_passes_axe(helper, tmp_path, "diary-on-behalf-desktop")
    helper.goto(f"{live_server.url}/portal/choose/")
    fits_and_passes_axe(helper, tmp_path, "choose-desktop")
