"""A patient's journeys: accept the invitation, read results and education, report symptoms."""

import datetime
import re

from django.urls import reverse
from playwright.sync_api import expect

from education.models import PatientEducation
from education.services import education_sync
from patients.services import portal_invite
from tests.osteoclinic.test_patient_record import scan


def test_paula_accepts_her_invitation_reads_her_result_and_a_page_and_reports_pain(
    live_server, page, paula, hologic, alice
):
    scan(paula, hologic, datetime.date(2022, 6, 14), ("lumbar_spine", "", "0.842", "-2.0"))
    scan(paula, hologic, datetime.date(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    education_sync(patient=paula)
    invitation = portal_invite(patient=paula, base_url=live_server.url)

    page.goto(invitation.link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to your bone health portal")
    page.locator("#id_new_password1").fill("Strong-bones-and-tea-77")
    page.locator("#id_new_password2").fill("Strong-bones-and-tea-77")
    page.get_by_role("button", name="Set my password").click()

    expect(page).to_have_url(re.compile(r"/portal/$"))
    expect(page.get_by_test_id("plain-result")).to_contain_text(
        "Your bone density is lower than normal (osteoporosis range)."
    )
    page.get_by_role("link", name="Understanding osteoporosis").click()
    expect(page.get_by_text("Why you have this page:")).to_be_visible()
    attachment = PatientEducation.objects.get(
        patient=paula, page__slug="understanding-osteoporosis"
    )
    assert attachment.first_viewed_at is not None  # alice sees it as read on the record

    page.get_by_role("link", name="Symptom diary").first.click()
    page.get_by_label("7", exact=True).check()
    page.get_by_label("Back").check()
    page.get_by_label("The pain started suddenly").check()
    page.get_by_role("button", name="Save my entry").click()
    expect(page.get_by_role("alert")).to_contain_text("contact the clinic")

    # The link worked once: it now says so.
    page.get_by_role("button", name="Sign out").click()
    page.goto(invitation.link)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This invitation link no longer works"
    )


def test_the_portal_home_fits_a_phone_screen(live_server, browser, paula, hologic, tmp_path):
    scan(
        paula,
        hologic,
        datetime.date(2022, 6, 14),
        ("lumbar_spine", "", "0.842", "-2.0"),
        ("total_hip", "left", "0.760", "-1.5"),
    )
    scan(
        paula,
        hologic,
        datetime.date(2024, 6, 18),
        ("lumbar_spine", "", "0.772", "-2.7"),
        ("total_hip", "left", "0.735", "-1.7"),
    )
    education_sync(patient=paula)
    phone = browser.new_context(viewport={"width": 375, "height": 812})
    page = phone.new_page()
    page.goto(f"{live_server.url}{reverse('login')}")
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill("pass-for-tests")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/$"))
    page.screenshot(path=str(tmp_path / "portal-phone.png"), full_page=True)
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll: content {widths[0]}px > {widths[1]}px"
    # Every form control and link is reachable by keyboard: Tab lands on the skip link first.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to content"
    phone.close()
