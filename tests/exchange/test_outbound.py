"""Releasing a scan sends its results as an ORU^R01 through the outbox over MLLP (§9, §14)."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from exchange.hl7v2 import parse as parse_hl7
from exchange.hl7v2 import read_result
from outbox.models import Message, Status
from patients.models import NotificationPreferences
from scans.models import SiteMeasurement
from scans.services import scan_review
from tests.exchange.listening import free_port
from tests.exchange.receiver import Receiver
from tests.tasks import run_tasks


@pytest.fixture
def sending(settings):
    """The clinic sends results to a port nothing listens on yet."""
    port = free_port(2650, 2699)
    settings.HL7_OUTBOUND_ENDPOINT = f"127.0.0.1:{port}"
    settings.HL7_OUTBOUND_APPLICATION = "REFERRER-EHR"
    settings.HL7_OUTBOUND_TIMEOUT = 5
    settings.OUTBOX_RETRY_SECONDS = 60
    return port


@pytest.fixture
def draft(paula_scan):
    # Paula takes no "new result" email, so the outbox holds the HL7 message alone.
    NotificationPreferences.objects.create(patient=paula_scan.patient, result_released=False)
    SiteMeasurement.objects.create(
        scan=paula_scan, site="femoral_neck", side="left", bmd="0.650", t_score="-1.7"
    )
    return paula_scan


def test_nothing_is_sent_unless_the_clinic_turns_it_on(settings, draft, alice):
    settings.HL7_OUTBOUND_ENDPOINT = ""
    scan_review(scan=draft, user=alice, release=True)
    assert not Message.objects.filter(kind="hl7").exists()


def test_a_release_sends_the_site_values_and_the_reading_once(sending, draft, alice):
    receiver = Receiver(sending).start()
    try:
        scan_review(scan=draft, user=alice, release=True)
        assert receiver.received == []  # the release only wrote the message
        assert run_tasks() == 1
        assert run_tasks() == 0
    finally:
        receiver.stop()
    assert len(receiver.received) == 1
    result = read_result(parse_hl7(receiver.received[0]))
    assert result.header.message_type == "ORU^R01"
    assert [i.value for i in result.identifiers] == ["MRN-PAULA"]
    assert result.observed_on == datetime.date(2023, 3, 3)
    values = {(o.code, o.value) for o in result.observations if o.value_type == "NM"}
    assert values == {
        ("24966-4", "0.812"),
        ("38267-1", "-2.7"),
        ("80954-1", "0.650"),
        ("80948-3", "-1.7"),
    }
    reading = [o.value for o in result.observations if o.value_type == "TX"]
    assert reading and any("osteoporosis" in line.lower() for line in reading)
    message = Message.objects.get()
    assert message.status == Status.SENT and "MSA|AA" in message.response


def test_an_endpoint_that_is_down_is_retried_until_it_comes_up(sending, draft, alice):
    scan_review(scan=draft, user=alice, release=True)
    run_tasks()  # nothing listens: connection refused
    message = Message.objects.get()
    assert message.status == Status.PENDING and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert run_tasks() == 0  # not due yet
    receiver = Receiver(sending).start()
    try:
        with time_machine.travel(message.next_attempt_at + datetime.timedelta(seconds=1)):
            assert run_tasks() == 1
            assert run_tasks() == 0
    finally:
        receiver.stop()
    assert len(receiver.received) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_an_ae_answer_stays_visible_on_the_scan_and_in_the_admin(
    sending, draft, alice, admin_user, client_for
):
    receiver = Receiver(sending, code="AE", text="Unknown patient").start()
    try:
        scan_review(scan=draft, user=alice, release=True)
        run_tasks()
    finally:
        receiver.stop()
    message = Message.objects.get()
    assert message.status == Status.PENDING and "AE: Unknown patient" in message.last_error
    assert "MSA|AE" in message.response
    page = client_for(alice).get(reverse("scans:scan_detail", args=[draft.pk])).content.decode()
    assert "AE: Unknown patient" in page
    admin = client_for(admin_user).get(reverse("admin:outbox_message_changelist"))
    assert "AE: Unknown patient" in admin.content.decode()


def test_a_scan_released_again_is_sent_as_corrected(sending, draft, alice):
    receiver = Receiver(sending).start()
    try:
        scan_review(scan=draft, user=alice, release=True)
        run_tasks()
        draft.status = "draft"
        draft.save()
        scan_review(scan=draft, user=alice, release=True)
        run_tasks()
    finally:
        receiver.stop()
    statuses = [
        {o.status for o in read_result(parse_hl7(text)).observations} for text in receiver.received
    ]
    assert statuses == [{"F"}, {"C"}]
