from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone

from . import overview


def superuser_required(view):
    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not request.user.is_superuser:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@superuser_required
def job_list(request):
    status = request.GET.get("status", "")
    if status not in overview.STATUS_LABELS:
        status = ""
    now = timezone.now()
    context = {
        "now": now,
        "status": status,
        "statuses": overview.STATUS_LABELS,
        "counts": overview.status_counts(),
        "tasks": overview.task_rows(status),
        "workers": overview.workers(now),
        "daily_runs": overview.daily_runs(timezone.localdate(now)),
        "daily_jobs": settings.DAILY_JOBS,
        "daily_hour": settings.DAILY_JOBS_HOUR,
        "waiting": overview.waiting_notice(),
    }
    return render(request, "jobs/job_list.html", context)
