"""The worker's clock: daily jobs once a day, stopped workers' tasks failed, waiting work shown."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.clock import daily_jobs_enqueue, stopped_workers_fail, tick, worker_beat
from jobs.models import DailyRun, WorkerBeat
from jobs.tasks import daily_job
from tests.conftest import make_patient
from tests.tasks import run_tasks


def at(hour: int, day: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, 15, tzinfo=datetime.UTC)


def test_the_daily_jobs_are_enqueued_once_a_day_from_their_hour(db, settings):
    settings.DAILY_JOBS_HOUR = 2
    assert daily_jobs_enqueue(now=at(1)) == []
    taken = daily_jobs_enqueue(now=at(2), worker_id="w1")
    assert sorted(run.job for run in taken) == [
        "notify_scans_due",
        "prune_signin_audit",
        "refresh_status",
        "release_due_results",
        "sync_education",
    ]
    # A second worker's clock, and the first one's next ticks, find them taken.
    assert daily_jobs_enqueue(now=at(2), worker_id="w2") == []
    assert daily_jobs_enqueue(now=at(23), worker_id="w1") == []
    assert DailyRun.objects.count() == 5
    assert DBTaskResult.objects.count() == 5
    # The next day they are due again.
    assert len(daily_jobs_enqueue(now=at(3, day=4), worker_id="w2")) == 5
    assert DailyRun.objects.filter(day=datetime.date(2026, 3, 4)).count() == 5


def test_a_daily_job_runs_its_command_and_keeps_what_it_printed(db, settings):
    settings.DAILY_JOBS_HOUR = 0
    make_patient("MRN-1")
    daily_jobs_enqueue(now=timezone.now())
    assert run_tasks() == 5
    outcomes = {run.job: DBTaskResult.objects.get(pk=run.task_id) for run in DailyRun.objects.all()}
    assert outcomes["refresh_status"].status == TaskResultStatus.SUCCESSFUL
    assert outcomes["refresh_status"].return_value == "Refreshed 1 patient."
    assert outcomes["sync_education"].return_value.startswith("1 patient:")
    # The sign-in audit is pruned by the workers too, saying what it removed.
    assert outcomes["prune_signin_audit"].status == TaskResultStatus.SUCCESSFUL
    assert "Pruned no" in outcomes["prune_signin_audit"].return_value
    # Results due under the clinic's release rule, and emails of scans due soon.
    assert outcomes["release_due_results"].return_value == (
        "Release rule: After a clinician has reviewed and released them. Released 0 scans."
    )
    assert outcomes["notify_scans_due"].return_value.endswith("0 emails put in the outbox.")


def test_the_running_task_of_a_worker_that_went_silent_is_failed(db, settings):
    settings.WORKER_CLOCK_SECONDS = 30
    now = timezone.now()
    worker_beat(worker_id="gone", started_at=now, now=now - datetime.timedelta(minutes=10))
    worker_beat(worker_id="alive", started_at=now, now=now)
    stalled = daily_job.enqueue(job="refresh_status", day="2026-03-03")
    busy = daily_job.enqueue(job="sync_education", day="2026-03-03")
    long_ago = now - datetime.timedelta(minutes=9)
    DBTaskResult.objects.filter(pk=stalled.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["gone"], started_at=long_ago
    )
    DBTaskResult.objects.filter(pk=busy.id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["alive"], started_at=long_ago
    )

    assert stopped_workers_fail(now=now) == [stalled.id]
    stalled.refresh()
    assert stalled.status == TaskResultStatus.FAILED
    assert stalled.errors[0].exception_class_path == "jobs.clock.WorkerStopped"
    assert "stopped before it finished" in stalled.errors[0].traceback
    busy.refresh()
    assert busy.status == TaskResultStatus.RUNNING


def test_a_tick_says_the_worker_is_alive_and_enqueues_what_is_due(db, settings):
    settings.DAILY_JOBS_HOUR = 0
    now = timezone.now()
    tick(worker_id="w1", started_at=now, now=now)
    assert WorkerBeat.objects.get().seen_at == now
    assert DailyRun.objects.count() == 5


@pytest.fixture
def stalled_task(db):
    """A task enqueued at 09:00 that no worker has taken."""
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9, 0, tzinfo=datetime.UTC)):
        return daily_job.enqueue(job="refresh_status", day="2026-03-03")


def test_staff_see_on_the_worklist_that_work_has_waited_and_since_when(
    client, alice, stalled_task, settings
):
    settings.BACKGROUND_WAITING_MINUTES = 5
    client.force_login(alice)
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9, 4, tzinfo=datetime.UTC)):
        assert "Background work is waiting" not in client.get(reverse("home")).content.decode()
    from django.core.cache import cache

    cache.clear()
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9, 6, tzinfo=datetime.UTC)):
        page = client.get(reverse("home")).content.decode()
    notice = "Background work is waiting:</strong> 1 task, the oldest ready since 3 Mar 2026, 09:00"
    assert notice in page

    run_tasks()
    cache.clear()
    with time_machine.travel(datetime.datetime(2026, 3, 3, 9, 7, tzinfo=datetime.UTC)):
        assert "Background work is waiting" not in client.get(reverse("home")).content.decode()


def test_the_background_work_page_lists_tasks_by_state_with_the_error_and_the_retry(
    client, admin_user, settings
):
    settings.DAILY_JOBS = ["refresh_status", "no_such_command"]
    settings.DAILY_JOBS_HOUR = 0
    daily_jobs_enqueue(now=timezone.now(), worker_id="w1")
    worker_beat(worker_id="w1", started_at=timezone.now(), now=timezone.now())
    run_tasks()
    failed_run = DailyRun.objects.get(job="no_such_command")
    daily_job.enqueue(job="no_such_command", day=failed_run.day.isoformat())  # again, by hand

    client.force_login(admin_user)
    page = client.get(reverse("jobs:list")).content.decode()
    assert "<code>w1</code>" in page and "Running</span>" in page
    assert "Unknown command: &#x27;no_such_command&#x27;" in page
    assert page.count("retried") == 1
    assert 'data-testid="count-failed">1<' in page
    assert 'data-testid="count-successful">1<' in page
    assert 'data-testid="count-ready">1<' in page
    failed = client.get(reverse("jobs:list"), {"status": "FAILED"}).content.decode()
    assert "no_such_command" in failed and "refresh_status" not in failed.split("Tasks")[-1]
