"""Each worker's clock: what must happen with no request to start it and no cron.

Every tick a worker says it is alive, enqueues the daily jobs that are due today (a
`DailyRun` row per job and day, unique, is taken by one worker only), fails the tasks of
workers that stopped without finishing them, and runs the hooks other apps register in
`settings.WORKER_CLOCK_HOOKS` (the outbox sends again what it held back).
"""

import datetime
import logging
import os
import socket
import threading

from django.conf import settings
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.db.models import Case, Count, F, Min, When
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from .models import DailyRun, WorkerBeat

logger = logging.getLogger(__name__)

# A worker not heard from for this many ticks has stopped (killed, crashed, machine gone).
SILENT_TICKS = 4


class WorkerStopped(Exception):
    """The worker running a task stopped before the task finished."""


def clock_seconds() -> float:
    return float(settings.WORKER_CLOCK_SECONDS)


def silence_limit() -> datetime.timedelta:
    return datetime.timedelta(seconds=SILENT_TICKS * clock_seconds())


def worker_beat(*, worker_id: str, started_at: datetime.datetime, now: datetime.datetime) -> None:
    # One statement on every tick but the first (no read-then-write transaction to collide).
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now, stopped_at=None):
        WorkerBeat.objects.update_or_create(
            worker_id=worker_id,
            defaults={
                "host": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": started_at,
                "seen_at": now,
            },
        )


def worker_stopped(*, worker_id: str, now: datetime.datetime) -> None:
    WorkerBeat.objects.filter(worker_id=worker_id).update(stopped_at=now)


def live_worker_ids(*, now: datetime.datetime) -> set[str]:
    since = now - silence_limit()
    live = WorkerBeat.objects.filter(seen_at__gte=since, stopped_at__isnull=True)
    return set(live.values_list("worker_id", flat=True))


def stopped_workers_fail(*, now: datetime.datetime) -> list[str]:
    """Mark as failed the running tasks whose worker has gone silent; their ids.

    A task runs in its worker's process: when that process dies, its open transaction is rolled
    back by the database and the task would show "running" for ever.
    """
    alive = live_worker_ids(now=now)
    running = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=now - silence_limit()
    ).only("id", "worker_ids", "started_at")
    failed = []
    for result in running:
        worker = result.worker_ids[-1] if result.worker_ids else ""
        if worker in alive:
            continue
        reason = (
            f"The worker running this task ({worker or 'unknown'}) stopped before it finished "
            "(killed, crashed or its machine restarted). Nothing the task had not committed "
            "was kept."
        )
        updated = DBTaskResult.objects.filter(pk=result.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            exception_class_path=f"{WorkerStopped.__module__}.{WorkerStopped.__qualname__}",
            traceback=f"{WorkerStopped.__module__}.WorkerStopped: {reason}\n",
        )
        if updated:
            failed.append(str(result.pk))
    return failed


def daily_jobs_due(*, now: datetime.datetime) -> list[str]:
    local = timezone.localtime(now)
    if local.hour < settings.DAILY_JOBS_HOUR:
        return []
    taken = set(DailyRun.objects.filter(day=local.date()).values_list("job", flat=True))
    return [job for job in settings.DAILY_JOBS if job not in taken]


def daily_jobs_enqueue(*, now: datetime.datetime, worker_id: str = "") -> list[DailyRun]:
    """Enqueue today's daily jobs that no worker has taken yet; the runs this worker took."""
    from .tasks import daily_job

    day = timezone.localtime(now).date()
    taken = []
    for job in daily_jobs_due(now=now):
        try:
            with transaction.atomic():
                run = DailyRun.objects.create(job=job, day=day, worker_id=worker_id)
                # The task row is written in the same transaction as the day's claim.
                run.task_id = daily_job.enqueue(job=job, day=day.isoformat()).id
                run.save(update_fields=["task_id"])
        except IntegrityError:
            continue  # another worker's clock took it first
        taken.append(run)
    return taken


def tick(*, worker_id: str, started_at: datetime.datetime, now=None) -> None:
    """One tick of a worker's clock (each step on its own, so one failing stops no other)."""
    now = now or timezone.now()
    steps = [
        lambda: worker_beat(worker_id=worker_id, started_at=started_at, now=now),
        lambda: stopped_workers_fail(now=now),
        lambda: daily_jobs_enqueue(now=now, worker_id=worker_id),
        *[(lambda hook=hook: import_string(hook)(now=now)) for hook in settings.WORKER_CLOCK_HOOKS],
    ]
    for step in steps:
        try:
            step()
        except Exception:
            logger.exception("A step of the worker's clock failed; the next tick tries again.")


class Clock(threading.Thread):
    """Ticks beside a worker's loop, on its own database connection."""

    def __init__(self, *, worker_id: str):
        super().__init__(name=f"clock-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.started_at = timezone.now()
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            close_old_connections()
            tick(worker_id=self.worker_id, started_at=self.started_at)
            connections.close_all()
            if self.stopping.wait(clock_seconds()):
                return

    def stop(self) -> None:
        """Stop ticking and say so, so the worker no longer counts as running."""
        self.stopping.set()
        try:
            worker_stopped(worker_id=self.worker_id, now=timezone.now())
        except Exception:
            logger.exception("The worker could not record that it stopped.")


def waiting_since() -> tuple[int, datetime.datetime | None]:
    """How many tasks are ready to run now, and since when the oldest has been ready."""
    ready_at = Case(
        When(run_after=get_date_max(), then=F("enqueued_at")),
        default=Greatest("run_after", "enqueued_at"),
    )
    summary = DBTaskResult.objects.ready().aggregate(count=Count("pk"), oldest=Min(ready_at))
    return summary["count"], summary["oldest"]
