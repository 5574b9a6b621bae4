"""What the Background work page and the worklist say about the workers and their tasks."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from .clock import live_worker_ids, silence_limit, waiting_since
from .models import DailyRun, WorkerBeat

TASKS_SHOWN = 100
STATUS_LABELS = {
    TaskResultStatus.READY: "Waiting",
    TaskResultStatus.RUNNING: "Running",
    TaskResultStatus.SUCCESSFUL: "Done",
    TaskResultStatus.FAILED: "Failed",
}
# The worklist asks at most this often (seconds); a repeat view costs no query.
NOTICE_SECONDS = 30


@dataclass(frozen=True)
class Waiting:
    count: int
    since: datetime.datetime


def waiting_notice() -> Waiting | None:
    """Tasks ready to run that no worker has taken for BACKGROUND_WAITING_MINUTES, if any."""
    cached = cache.get("jobs:waiting")
    if cached is None:
        count, oldest = waiting_since()
        cached = (count, oldest)
        cache.set("jobs:waiting", cached, NOTICE_SECONDS)
    count, oldest = cached
    limit = datetime.timedelta(minutes=settings.BACKGROUND_WAITING_MINUTES)
    if not count or oldest is None or timezone.now() - oldest < limit:
        return None
    return Waiting(count=count, since=oldest)


@dataclass
class TaskRow:
    result: DBTaskResult
    label: str
    arguments: str
    attempt: int | None
    error: str
    retried: bool = False
    waiting_since: datetime.datetime | None = None


def _error(result: DBTaskResult) -> str:
    if result.status != TaskResultStatus.FAILED:
        return ""
    lines = [line for line in result.traceback.strip().splitlines() if line.strip()]
    return lines[-1] if lines else result.exception_class_path


def _retry_key(result: DBTaskResult) -> tuple:
    kwargs = {k: v for k, v in result.args_kwargs.get("kwargs", {}).items() if k != "attempt"}
    return (result.task_path, repr(result.args_kwargs.get("args")), repr(sorted(kwargs.items())))


def task_rows(status: str = "") -> list[TaskRow]:
    """The newest tasks (of one status if given), each with its error and whether it was retried."""
    results = DBTaskResult.objects.order_by("-enqueued_at")
    if status:
        results = results.filter(status=status)
    results = list(results[:TASKS_SHOWN])
    keys = [_retry_key(result) for result in results]
    later = {}
    rows = []
    # Newest first: a failed task was retried when a newer task of the same call exists.
    for result, key in zip(results, keys, strict=True):
        kwargs = result.args_kwargs.get("kwargs", {})
        rows.append(
            TaskRow(
                result=result,
                label=result.task_path.removesuffix(".tasks." + result.task_name)
                + f": {result.task_name}",
                arguments=", ".join(f"{k}={v}" for k, v in kwargs.items() if k != "attempt"),
                attempt=kwargs.get("attempt"),
                error=_error(result),
                retried=result.status == TaskResultStatus.FAILED and key in later,
                waiting_since=None if result.run_after.year == 9999 else result.run_after,
            )
        )
        later[key] = result
    return rows


def status_counts() -> dict[str, int]:
    from django.db.models import Count

    counts = dict(DBTaskResult.objects.order_by().values_list("status").annotate(n=Count("pk")))
    return {label: counts.get(status, 0) for status, label in STATUS_LABELS.items()}


def workers(now: datetime.datetime) -> list[dict]:
    alive = live_worker_ids(now=now)
    recent = WorkerBeat.objects.filter(seen_at__gte=now - datetime.timedelta(days=1))
    return [{"beat": beat, "alive": beat.worker_id in alive} for beat in recent]


def daily_runs(today: datetime.date, days: int = 7) -> list[dict]:
    runs = list(DailyRun.objects.filter(day__gt=today - datetime.timedelta(days=days)))
    task_ids = [run.task_id for run in runs if run.task_id]
    results = {str(result.pk): result for result in DBTaskResult.objects.filter(pk__in=task_ids)}
    return [
        {
            "run": run,
            "result": results.get(run.task_id),
            "status": STATUS_LABELS.get(getattr(results.get(run.task_id), "status", ""), "Gone"),
        }
        for run in runs
    ]


def silence_minutes() -> float:
    return silence_limit().total_seconds() / 60
