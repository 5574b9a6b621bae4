"""Imports run by real `manage.py db_worker` processes on the test database (SQLite file or
PostgreSQL): to the end, and killed half-way."""

import os
import signal

from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from patients.models import Patient
from scans.models import DexaScan, ImportJob, PatientStatus, SiteMeasurement
from tests.exchange.test_import_jobs import many_rows
from tests.exchange.test_import_pages import upload
from tests.tasks import wait_for


def stage_of(job) -> str:
    job.refresh_from_db()
    return job.stage


def uploaded_and_checked(client, rows: int, log) -> ImportJob:
    upload(client, many_rows(rows))
    job = ImportJob.objects.get()
    wait_for(lambda: stage_of(job) == "checked", timeout=120, message=log.read_text())
    return job


def test_a_worker_process_checks_and_imports_a_file_to_the_end(workers, client, alice):
    worker = workers("one")
    client.force_login(alice)
    job = uploaded_and_checked(client, 300, worker.log_path)
    assert "Import 300 measurements" in client.get(job.get_absolute_url()).content.decode()

    # Past results already reported: the answer reaches the worker through the job's options.
    client.post(reverse("exchange:import_confirm", args=[job.pk]), {"results": "past"})
    wait_for(lambda: stage_of(job) == "imported", timeout=120, message=worker.log_path.read_text())
    assert SiteMeasurement.objects.count() == 300 and DexaScan.objects.count() == 300
    assert set(DexaScan.objects.values_list("status", "reviewed_by")) == {("released", alice.pk)}
    # The stored readings (released results feed them) followed once the worker's
    # transaction committed.
    wait_for(lambda: PatientStatus.objects.filter(latest_scan__isnull=False).count() == 300)
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Import done" in page
    assert DBTaskResult.objects.filter(status=TaskResultStatus.SUCCESSFUL).count() >= 2


def test_a_worker_killed_while_writing_leaves_nothing_and_the_import_shows_it_stopped(
    workers, client, alice
):
    doomed = workers("doomed")
    client.force_login(alice)
    job = uploaded_and_checked(client, 4000, doomed.log_path)
    client.post(reverse("exchange:import_confirm", args=[job.pk]), {"results": "new"})

    def writing():
        job.refresh_from_db()
        return job.step == "writing"

    wait_for(writing, timeout=120, every=0.01, message=doomed.log_path.read_text())
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=30)

    assert Patient.objects.count() == 0
    assert (DexaScan.objects.count(), SiteMeasurement.objects.count()) == (0, 0)
    assert stage_of(job) == "importing"  # as the killed worker left it

    # Another worker's clock finds the killed one silent and fails its task.
    rescuer = workers("rescuer")
    task = DBTaskResult.objects.get(pk=job.task_id)
    wait_for(
        lambda: DBTaskResult.objects.get(pk=task.pk).status == TaskResultStatus.FAILED,
        timeout=60,
        message=rescuer.log_path.read_text(),
    )
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The import stopped" in page
    assert "The worker running this task (doomed) stopped before it finished" in page
    assert "Nothing was written" in page
    assert (Patient.objects.count(), SiteMeasurement.objects.count()) == (0, 0)
