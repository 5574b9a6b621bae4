"""Real `manage.py db_worker` processes on the test database (an SQLite file, or PostgreSQL)."""

from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.models import DailyRun, WorkerBeat
from tests.tasks import wait_for


def test_two_workers_run_each_daily_job_once_a_day(workers):
    first = workers("first", DAILY_JOBS_HOUR="0")
    second = workers("second", DAILY_JOBS_HOUR="0")

    def all_done():
        results = DBTaskResult.objects.filter(task_path="jobs.tasks.daily_job")
        return results.filter(status=TaskResultStatus.SUCCESSFUL).count() == 5

    wait_for(all_done, timeout=90, message=first.log_path.read_text())
    # Both clocks tick a few more times on the same day: neither takes the jobs again.
    wait_for(lambda: WorkerBeat.objects.count() == 2, timeout=30)
    seen = {beat.worker_id: beat.seen_at for beat in WorkerBeat.objects.all()}
    wait_for(
        lambda: all(beat.seen_at > seen[beat.worker_id] for beat in WorkerBeat.objects.all()),
        timeout=30,
    )
    assert sorted(DailyRun.objects.values_list("job", flat=True)) == [
        "notify_scans_due",
        "prune_signin_audit",
        "refresh_status",
        "release_due_results",
        "sync_education",
    ]
    assert DBTaskResult.objects.filter(task_path="jobs.tasks.daily_job").count() == 5
    assert first.poll() is None and second.poll() is None

    # A worker stopped cleanly says so: the Background work page no longer counts it.
    first.terminate()
    first.wait(timeout=30)
    assert WorkerBeat.objects.get(worker_id="first").stopped_at is not None
    assert WorkerBeat.objects.get(worker_id="second").stopped_at is None
