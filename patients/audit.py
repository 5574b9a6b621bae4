"""The access log: every view of a patient's record, chart, export or print is written down."""

from .access import role_of
from .models import AccessLogEntry, Patient


def log_access(request, patient: Patient, action: str) -> AccessLogEntry:
    """Record that the signed-in user opened `action` of `patient` (one insert)."""
    return AccessLogEntry.objects.create(
        user=request.user if request.user.is_authenticated else None,
        username=request.user.get_username(),
        role=role_of(request.user),
        patient=patient,
        action=action,
        path=request.get_full_path()[:300],
        # The address the request came from; behind a proxy, configure it to set REMOTE_ADDR.
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
