"""The outbox delivers email through a real SMTP server, once, and loses nothing while the
server is down."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from outbox.models import Message, Status
from outbox.services import message_enqueue, outbox_requeue_due, retry_delay
from tests.tasks import run_tasks


def enqueue_reminder(**fields):
    return message_enqueue(
        kind="email",
        recipient="paula@example.org",
        subject="Your bone density scan is due",
        body="Please book your next scan.",
        reason="scan due",
        **fields,
    )


def test_a_message_is_sent_by_a_worker_once_and_never_from_the_caller(db, smtp):
    smtp.start()
    with transaction.atomic():
        message = enqueue_reminder()
    assert smtp.received == []  # the caller only wrote rows
    assert DBTaskResult.objects.get(pk=message.task_id).status == TaskResultStatus.READY

    assert run_tasks() == 1
    assert len(smtp.received) == 1
    envelope = smtp.received[0]
    assert envelope.rcpt_tos == ["paula@example.org"]
    assert b"Subject: Your bone density scan is due" in envelope.content
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (Status.SENT, 1, "")
    assert message.sent_at is not None

    # Another worker pass, and the clock's sweep, send nothing again.
    assert outbox_requeue_due(now=timezone.now()) == []
    run_tasks()
    assert len(smtp.received) == 1


def test_a_rolled_back_change_leaves_no_message_and_no_task(db, smtp):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue_reminder()
        raise RuntimeError("the change that caused it failed")
    assert not Message.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_while_the_server_is_down_nothing_is_lost_and_delivery_resumes(db, smtp):
    message = enqueue_reminder()
    run_tasks()  # no server on the port: connection refused
    message.refresh_from_db()
    assert message.status == Status.PENDING
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    first = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).get()
    assert "DeliveryFailed" in first.exception_class_path
    assert "Attempt 1 failed" in first.traceback
    retry = DBTaskResult.objects.get(pk=message.task_id)
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs["kwargs"] == {"message_id": message.pk, "attempt": 2}
    assert retry.run_after == message.next_attempt_at

    # Not due yet: a worker passing now leaves it waiting.
    assert run_tasks() == 0

    smtp.start()
    with time_machine.travel(message.next_attempt_at + datetime.timedelta(seconds=1)):
        assert run_tasks() == 1
    assert len(smtp.received) == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 2)


def test_each_failure_doubles_the_wait_and_the_last_one_is_kept_as_failed(db, smtp, settings):
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(30) == datetime.timedelta(days=1)
    settings.OUTBOX_MAX_ATTEMPTS = 3
    message = enqueue_reminder()
    now = timezone.now()
    for attempt in (1, 2, 3):
        with time_machine.travel(now):
            run_tasks()
        message.refresh_from_db()
        assert message.attempts == attempt
        if message.next_attempt_at:
            assert message.next_attempt_at - now >= retry_delay(attempt)
            now = message.next_attempt_at + datetime.timedelta(seconds=1)
    assert message.status == Status.FAILED
    assert message.next_attempt_at is None
    assert DBTaskResult.objects.filter(status=TaskResultStatus.FAILED).count() == 3
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_message_whose_worker_stopped_is_enqueued_again_by_the_clock(db, smtp):
    smtp.start()
    message = enqueue_reminder()
    # The worker that took it was killed: the sweep marked its task failed.
    DBTaskResult.objects.filter(pk=message.task_id).update(status=TaskResultStatus.FAILED)
    assert outbox_requeue_due(now=timezone.now()) == [message.pk]
    assert outbox_requeue_due(now=timezone.now()) == []  # its new task is waiting
    run_tasks()
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert len(smtp.received) == 1


def test_an_unknown_kind_is_refused_where_it_is_written(db):
    with pytest.raises(ValueError, match="No sender for messages of kind 'fax'"):
        message_enqueue(kind="fax", recipient="0123", body="x")
    assert not Message.objects.exists()


def test_a_failed_message_stays_visible_in_the_admin_and_can_be_sent_again(
    client, admin_user, smtp, settings
):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    message = enqueue_reminder()
    run_tasks()
    message.refresh_from_db()
    assert message.status == Status.FAILED

    client.force_login(admin_user)
    changelist = reverse("admin:outbox_message_changelist")
    page = client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "paula@example.org" in page and "ConnectionRefusedError" in page
    assert "Failed: gave up after every attempt" in page
    jobs_page = client.get(reverse("jobs:list")).content.decode()
    assert "outbox: deliver" in jobs_page
    assert "DeliveryFailed: Attempt 1 failed (ConnectionRefusedError" in jobs_page

    smtp.start()
    client.post(changelist, {"action": "send_again", "_selected_action": [message.pk]}, follow=True)
    run_tasks()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.SENT, 1)
    assert len(smtp.received) == 1
