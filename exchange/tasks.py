"""The scan import's background tasks (exchange.import_jobs)."""

from django_tasks import task

from .import_jobs import import_job_check, import_job_run


@task()
def check_import(*, job_id: int) -> str:
    """The dry run of an uploaded file."""
    return import_job_check(job_id=job_id)


@task()
def run_import(*, job_id: int) -> str:
    """The import of a checked, confirmed file."""
    return import_job_run(job_id=job_id)
