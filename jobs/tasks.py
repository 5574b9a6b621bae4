"""The daily jobs as tasks: each is a management command, run by a worker once a day."""

import io

from django.core.management import call_command
from django_tasks import task


@task()
def daily_job(*, job: str, day: str) -> str:
    """Run one daily job (a management command named in settings.DAILY_JOBS); what it printed."""
    out = io.StringIO()
    call_command(job, stdout=out)
    return out.getvalue().strip()
