"""Secure messages in Chromium: a patient writes, a clinician replies, the email is caught by a
real SMTP server, and the patient follows its link to read the reply."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from patients.models import ClinicDetails
from tests.tasks import run_tasks

PAGES = {
    "paula": ["portal:messages", "portal:notifications", "portal:home"],
    "alice": ["home"],
}


@pytest.fixture
def clinic(transactional_db, settings, live_server):
    settings.SITE_URL = live_server.url
    clinic = ClinicDetails.current()
    clinic.name, clinic.phone = "Riverside Bone Clinic", "020 7946 0123"
    clinic.save()
    return clinic


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    page.wait_for_load_state()


def test_a_patient_writes_a_clinician_replies_and_the_patient_reads_it_from_the_email(
    live_server, page, sign_in, clinic, paula, alice, smtp
):
    paula.user.email = "paula@example.org"
    paula.user.save()
    smtp.start()

    sign_in("paula")
    expect(page.get_by_test_id("clinic-contact")).to_contain_text("020 7946 0123")
    page.get_by_role("link", name="Messages").first.click()
    page.get_by_label("Subject", exact=True).fill("My new tablets")
    page.get_by_label("Message", exact=True).fill("Should I take alendronate with food?")
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("status")).to_contain_text("Your message is sent to the clinic.")
    expect(page.get_by_test_id("thread")).to_contain_text("Should I take alendronate with food?")
    sign_out(page)

    sign_in("alice")
    section = page.locator("#messages")
    expect(section).to_contain_text("1 unread")
    expect(section).to_contain_text("My new tablets")
    section.get_by_role("link", name=re.compile("Read and reply")).click()
    expect(page.get_by_test_id("thread")).to_contain_text("Should I take alendronate with food?")
    expect(page.get_by_label("Subject", exact=True)).to_have_value("Re: My new tablets")
    page.get_by_label("Message", exact=True).fill(
        "Take it with a full glass of water, before breakfast."
    )
    page.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("status")).to_contain_text("Your reply to Paula Fischer is sent.")
    page.get_by_role("button", name=re.compile("Mark done")).click()
    expect(page.get_by_role("status")).to_contain_text("1 message of Paula Fischer marked done.")
    sign_out(page)

    # A worker sends the email; the SMTP server catches it: news and a link, nothing more.
    assert smtp.received == []
    assert run_tasks() == 1
    (envelope,) = smtp.received
    assert envelope.rcpt_tos == ["paula@example.org"]
    text = envelope.content.decode()
    assert "Subject: You have a new message from the clinic" in text
    assert "glass of water" not in text and "alendronate" not in text
    link = re.search(rf"{re.escape(live_server.url)}\S+", text).group(0)
    assert link == live_server.url + reverse("portal:messages")

    page.goto(link)  # signed out: the sign-in page, then the message
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill("pass-for-tests")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/portal/messages/$"))
    expect(page.get_by_test_id("thread")).to_contain_text(
        "Take it with a full glass of water, before breakfast."
    )
    expect(page.get_by_test_id("thread")).to_contain_text("From the clinic")


@pytest.mark.parametrize("width", [1366, 390])
def test_the_message_pages_fit_a_desktop_and_a_phone(
    live_server, browser, clinic, paula, alice, width, tmp_path
):
    from patients.models import MessageSender
    from patients.services import message_write

    message_write(
        patient=paula,
        sender=MessageSender.PATIENT,
        author=paula.user,
        subject="A rather long subject line about my appointment next month",
        body="Could the appointment be moved to a morning? " * 5,
    )
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    for username, names in (("paula", PAGES["paula"]), ("alice", PAGES["alice"])):
        page.goto(f"{live_server.url}{reverse('login')}")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("pass-for-tests")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        urls = [reverse(name) for name in names]
        if username == "alice":
            urls.append(reverse("patients:messages", args=[paula.pk]))
        for url in urls:
            page.goto(f"{live_server.url}{url}")
            shot = url.strip("/").replace("/", "-") or "home"
            page.screenshot(path=str(tmp_path / f"{shot}-{width}.png"), full_page=True)
            widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[1], f"{url} at {width}px: content {widths[0]}px wide"
            assert "{{" not in page.content() and "{%" not in page.content()
        context.clear_cookies()  # signed out (on a phone the button is in the folded menu)
    context.close()
