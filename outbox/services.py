"""Putting messages in the outbox and delivering them.

A message is written in the caller's transaction, together with the task that will deliver it
(the task is a row of the same database), so both exist only if the change that caused them
was committed, and nothing is ever sent from inside a request. A worker delivers it; a failure
is recorded on the message and the next attempt is enqueued with a back-off that doubles each
time. Delivery is at least once: a worker killed between the server's acceptance and the
commit sends that message again.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .models import Message, Status
from .senders import sender_for

# However many failures, never wait more than a day between attempts.
LONGEST_WAIT = datetime.timedelta(days=1)


class DeliveryFailed(Exception):
    """An attempt to send a message failed (the next one is enqueued, or it gave up)."""


@dataclass(frozen=True)
class Outcome:
    text: str
    failed: bool = False


def retry_delay(attempts: int) -> datetime.timedelta:
    """The wait after the n-th failed attempt: OUTBOX_RETRY_SECONDS, doubled each time."""
    seconds = settings.OUTBOX_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    return min(datetime.timedelta(seconds=seconds), LONGEST_WAIT)


def _enqueue(message: Message) -> str:
    from .tasks import deliver

    run_after = message.next_attempt_at
    if run_after is not None and run_after <= timezone.now():
        run_after = None
    return (
        deliver.using(run_after=run_after)
        .enqueue(message_id=message.pk, attempt=message.attempts + 1)
        .id
    )


def message_enqueue(
    *, kind: str, recipient: str, body: str, subject: str = "", reason: str = "", about: str = ""
):
    """Put a message in the outbox, in the caller's transaction; a worker sends it."""
    sender_for(kind)  # an unknown kind fails here, in the caller's request, not in a worker
    with transaction.atomic():
        message = Message.objects.create(
            kind=kind,
            recipient=recipient,
            subject=subject,
            body=body,
            reason=reason,
            about=about,
            next_attempt_at=timezone.now(),
        )
        message.task_id = _enqueue(message)
        message.save(update_fields=["task_id"])
    return message


def message_deliver(*, message_id: int) -> Outcome:
    """One attempt at sending a message; its outcome is stored on the message."""
    with transaction.atomic():
        # Locked, so that two tasks for one message (a retry and a resend) never both send it.
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None:
            return Outcome(f"Message {message_id} is not in the outbox.")
        if message.status != Status.PENDING:
            return Outcome(f"Message {message_id} is {message.get_status_display().lower()}.")
        now = timezone.now()
        try:
            sender_for(message.kind)(message)
        except Exception as error:
            message.attempts += 1
            message.last_error = f"{type(error).__name__}: {error}"[:2000]
            if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                message.status = Status.FAILED
                message.next_attempt_at = None
                message.task_id = ""
                text = (
                    f"Attempt {message.attempts} failed ({message.last_error}); no attempt is "
                    "left: the message stays in the outbox, marked failed."
                )
            else:
                message.next_attempt_at = now + retry_delay(message.attempts)
                message.task_id = _enqueue(message)
                text = (
                    f"Attempt {message.attempts} failed ({message.last_error}); the next is "
                    f"enqueued for {timezone.localtime(message.next_attempt_at):%Y-%m-%d %H:%M:%S}."
                )
            message.save()
            return Outcome(text, failed=True)
        message.attempts += 1
        message.status = Status.SENT
        message.sent_at = now
        message.next_attempt_at = None
        message.save()
        return Outcome(f"Sent to {message.recipient} on attempt {message.attempts}.")


def message_retry(*, message: Message) -> Message:
    """Send a failed or waiting message again now, with a fresh count of attempts."""
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message.pk)
        if message.status == Status.SENT:
            return message
        message.status = Status.PENDING
        message.attempts = 0
        message.next_attempt_at = timezone.now()
        message.task_id = _enqueue(message)
        message.save()
    return message


def outbox_requeue_due(*, now: datetime.datetime) -> list[int]:
    """Enqueue again the due messages that no task will deliver (a worker stopped mid-way).

    Called by every worker's clock; the ids of the messages enqueued again.
    """
    due = list(
        Message.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", "task_id")[:500]
    )
    task_ids = [task_id for _, task_id in due if task_id]
    in_flight = {
        str(pk)
        for pk in DBTaskResult.objects.filter(
            id__in=task_ids, status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING]
        ).values_list("pk", flat=True)
    }
    requeued = []
    for pk, task_id in due:
        if task_id and task_id in in_flight:
            continue
        with transaction.atomic():
            message = Message.objects.select_for_update().get(pk=pk)
            if message.status != Status.PENDING or message.task_id != task_id:
                continue  # delivered or enqueued meanwhile
            message.task_id = _enqueue(message)
            message.save(update_fields=["task_id"])
        requeued.append(pk)
    return requeued
