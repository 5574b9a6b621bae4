"""Emails to patients: through the outbox to a real SMTP server, once, nothing lost while the
server is down; news only, never health data; each kind as the patient chose."""

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse

from outbox.models import Message, Status
from patients import notifications
from patients.models import NotificationPreferences, SymptomReport
from patients.services import symptom_report_acknowledge
from scans.models import PatientStatus
from scans.services import scan_review
from tests.tasks import run_tasks

HEALTH_WORDS = ("T-score", "−2.7", "-2.7", "osteopor", "lumbar", "0.812", "pain")


@pytest.fixture
def paula_by_email(paula):
    paula.user.email = "paula@example.org"
    paula.user.save()
    return paula


def assert_news_only(body: str):
    for word in HEALTH_WORDS:
        assert word.lower() not in body.lower(), f"{word!r} in an email"


def test_a_released_result_is_emailed_once_through_the_smtp_server(
    paula_by_email, paula_scan, alice, smtp
):
    smtp.start()
    scan_review(scan=paula_scan, user=alice, release=True)
    assert smtp.received == []  # written to the outbox; a worker sends it
    assert run_tasks() == 1
    (envelope,) = smtp.received
    assert envelope.rcpt_tos == ["paula@example.org"]
    text = envelope.content.decode()
    assert "Subject: A new result is in your portal" in text
    assert "http://127.0.0.1:8000/portal/" in text
    assert_news_only(text)
    # Released again (a re-review of a released scan) sends nothing more.
    scan_review(scan=paula_scan, user=alice, release=True)
    run_tasks()
    assert len(smtp.received) == 1


def test_while_the_server_is_down_nothing_is_lost_and_delivery_resumes(
    paula_by_email, paula_scan, alice, smtp
):
    scan_review(scan=paula_scan, user=alice, release=True)
    run_tasks()  # nobody listens on the port
    message = Message.objects.get()
    assert (message.status, message.attempts) == (Status.PENDING, 1)
    assert "ConnectionRefusedError" in message.last_error
    smtp.start()
    with time_machine.travel(message.next_attempt_at + datetime.timedelta(seconds=1)):
        assert run_tasks() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)
    assert len(smtp.received) == 1


def test_a_patient_who_turned_a_kind_off_gets_none_of_it(
    paula_by_email, paula_scan, alice, client_for
):
    client = client_for(paula_by_email.user)
    page = client.get(reverse("portal:notifications")).content.decode()
    assert 'name="result_released"' in page and "checked" in page
    assert not NotificationPreferences.objects.exists()  # opening the page changes nothing
    response = client.post(
        reverse("portal:notifications"),
        {"scan_due": "on", "message": "on", "red_flag_seen": "on", "loaded_version": ""},
    )
    assert response["Location"] == reverse("portal:notifications")
    preferences = NotificationPreferences.objects.get(patient=paula_by_email)
    assert not preferences.result_released and preferences.message
    scan_review(scan=paula_scan, user=alice, release=True)
    assert not Message.objects.exists()


def test_no_email_without_an_active_portal_account(paula_by_email, paula_scan, alice):
    paula_by_email.user.is_active = False
    paula_by_email.user.save()
    scan_review(scan=paula_scan, user=alice, release=True)
    assert not Message.objects.exists()


def test_an_acknowledged_red_flag_tells_the_patient_it_was_seen(paula_by_email, alice):
    report = SymptomReport.objects.create(
        patient=paula_by_email, source="patient", pain=8, red_flags=["sudden_back_pain"]
    )
    symptom_report_acknowledge(report=report, user=alice)
    symptom_report_acknowledge(report=report, user=alice)  # once only
    email = Message.objects.get()
    assert email.subject == "The clinic has seen your symptom diary"
    assert "/portal/symptoms/" in email.body
    assert_news_only(email.body)


def notify() -> str:
    out = io.StringIO()
    call_command("notify_scans_due", stdout=out)
    return out.getvalue()


def test_the_daily_job_emails_a_scan_due_once_per_due_date(paula_by_email, settings):
    settings.SCAN_DUE_NOTICE_WEEKS = 4
    today = datetime.date.today()
    status = PatientStatus.objects.create(
        patient=paula_by_email, next_due=today + datetime.timedelta(weeks=5)
    )
    notify()
    assert not Message.objects.exists()  # not yet within four weeks
    status.next_due = today + datetime.timedelta(weeks=3)
    status.save()
    assert notify().endswith("1 email put in the outbox.\n")
    assert notify().endswith("0 emails put in the outbox.\n")
    email = Message.objects.get()
    assert email.subject == "Your next bone density scan is due soon"
    assert_news_only(email.body)
    # A new due date is a new notice.
    status.next_due = today + datetime.timedelta(weeks=2)
    status.save()
    notify()
    assert Message.objects.count() == 2


def test_the_invitation_goes_through_the_outbox_with_its_link(paula, smtp):
    paula.email = "paula@example.org"
    smtp.start()
    assert notifications.invitation(patient=paula, username="paula", link="http://x/invite/1/")
    assert run_tasks() == 1
    assert b"http://x/invite/1/" in smtp.received[0].content


def test_a_caregiver_with_access_is_told_too_and_not_once_access_has_ended(
    paula_by_email, paula_scan, alice, smtp
):
    from patients.caregivers import caregiver_revoke
    from tests.conftest import make_caregiver

    carer = make_caregiver("clara", paula_by_email, first_name="Clara", last_name="Fischer")
    carer.email = "clara@example.org"
    carer.save()
    smtp.start()
    scan_review(scan=paula_scan, user=alice, release=True)
    assert run_tasks() == 2
    to = {envelope.rcpt_tos[0]: envelope.content.decode() for envelope in smtp.received}
    assert set(to) == {"paula@example.org", "clara@example.org"}
    text = to["clara@example.org"]
    assert "Hello Clara Fischer" in text and "the portal of Paula, whom you help" in text
    assert "email page" not in text  # the patient's choices are the patient's to make
    assert_news_only(text)

    caregiver_revoke(grant=carer.caregiver_grants.get(), user=paula_by_email.user)
    notifications.message_from_clinic(patient=paula_by_email)
    run_tasks()
    assert [envelope.rcpt_tos for envelope in smtp.received[2:]] == [["paula@example.org"]]
