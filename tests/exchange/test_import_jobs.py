"""The import as tasks: the upload returns at once, the page follows the worker's progress."""

from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from jobs.clock import stopped_workers_fail, worker_beat
from patients.models import Patient
from scans.models import ImportJob, SiteMeasurement
from tests.conftest import make_user
from tests.exchange.test_import_pages import NEW_ROW, PAULA_ROW, csv_text, upload
from tests.tasks import run_tasks


def many_rows(count: int) -> str:
    return csv_text(
        *[{**NEW_ROW, "mrn": f"JOB-{n}", "given_name": f"Person {n}"} for n in range(count)]
    )


def test_the_upload_only_stores_the_file_and_the_page_waits_for_a_worker(client, alice):
    client.force_login(alice)
    response = upload(client, many_rows(120))
    job = ImportJob.objects.get()
    assert response["Location"] == reverse("exchange:import_job", args=[job.pk])
    assert (job.stage, job.rows_read, job.created_by) == ("checking", 0, alice)
    task = DBTaskResult.objects.get(pk=job.task_id)
    assert (task.task_path, task.status) == ("exchange.tasks.check_import", TaskResultStatus.READY)

    page = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh" content="2">' in page
    assert "Waiting for a background worker" in page
    assert 'value="0"' in page and "Nothing is written while the file is checked" in page

    run_tasks()
    job.refresh_from_db()
    progress = (job.rows_total, job.rows_read, job.rows_checked)
    assert job.stage == "checked" and progress == (120, 120, 120)
    page = client.get(response["Location"]).content.decode()
    assert "refresh" not in page and "Import 120 measurements" in page


def test_the_page_shows_rows_read_and_checked_while_the_task_runs(client, alice):
    client.force_login(alice)
    upload(client, many_rows(30))
    job = ImportJob.objects.get()
    # As the worker leaves it half-way through the check.
    DBTaskResult.objects.filter(pk=job.task_id).update(status=TaskResultStatus.RUNNING)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=3000, rows_read=3000, rows_checked=1500)
    page = client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert '<progress class="w-100" max="100" value="75"' in page
    assert "3,000 of 3,000" in page and "1,500 of 3,000" in page
    assert "Waiting for a background worker" not in page


def test_the_import_runs_as_a_task_and_the_result_lists_the_rejected_rows(
    client, alice, paula, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    upload(client, csv_text(PAULA_ROW, {**PAULA_ROW, "site": "neck", "t_score": "-12.0"}))
    run_tasks()
    job = ImportJob.objects.get()
    response = client.post(reverse("exchange:import_confirm", args=[job.pk]), {"results": "new"})
    job.refresh_from_db()
    assert job.stage == "importing" and SiteMeasurement.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "Importing the file" in page and "Rows written" in page

    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    job.refresh_from_db()
    assert (job.stage, job.rows_written, job.confirmed_by) == ("imported", 1, alice)
    assert SiteMeasurement.objects.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Import done" in page and "imported by alice" in page
    assert "Rows not imported" in page and "−12.0 is outside −8.0…+6.0" in page


def test_a_file_unreadable_past_its_first_lines_stops_the_check_and_says_why(client, alice):
    client.force_login(alice)
    text = many_rows(60) + 'BAD-1,"never closed,' + "x" * 200_000 + "\n"
    upload(client, text)
    run_tasks()
    job = ImportJob.objects.get()
    assert job.stage == "failed"
    page = client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert "The check of the file stopped" in page
    assert "The file could not be read as CSV" in page and "Nothing was written" in page
    assert Patient.objects.count() == 0
    failed = DBTaskResult.objects.get(pk=job.task_id)
    assert failed.status == TaskResultStatus.FAILED


def test_an_import_whose_worker_stopped_says_so_and_wrote_nothing(client, alice, settings):
    settings.WORKER_CLOCK_SECONDS = 1
    client.force_login(alice)
    upload(client, many_rows(5))
    run_tasks()
    job = ImportJob.objects.get()
    client.post(reverse("exchange:import_confirm", args=[job.pk]), {"results": "new"})
    job.refresh_from_db()
    # A worker took it and was killed: its beat stopped, the task stayed "running".
    earlier = timezone.now() - timezone.timedelta(minutes=5)
    worker_beat(worker_id="killed", started_at=earlier, now=earlier)
    DBTaskResult.objects.filter(pk=job.task_id).update(
        status=TaskResultStatus.RUNNING, worker_ids=["killed"], started_at=earlier
    )
    assert stopped_workers_fail(now=timezone.now()) == [job.task_id]
    page = client.get(reverse("exchange:import_job", args=[job.pk])).content.decode()
    assert "The import stopped" in page
    assert "stopped before it finished (killed, crashed or its machine restarted)" in page
    assert "Nothing was written" in page
    assert SiteMeasurement.objects.count() == 0


def test_another_clinicians_upload_is_not_found(client, alice):
    client.force_login(alice)
    upload(client, many_rows(2))
    job = ImportJob.objects.get()
    client.force_login(make_user("bob", "Clinicians"))
    for name in ("exchange:import_job", "exchange:import_rejects"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("exchange:import_confirm", args=[job.pk])).status_code == 404
