"""The access log: every view of a patient's record, chart, export or print is written down."""

from .access import role_of
from .client_ip import client_ip
from .models import AccessLogEntry, Patient


def _entry(request, patient_id: int, action: str) -> AccessLogEntry:
    return AccessLogEntry(
        user=request.user if request.user.is_authenticated else None,
        username=request.user.get_username(),
        role=role_of(request.user),
        patient_id=patient_id,
        action=action,
        path=request.get_full_path()[:300],
        ip_address=client_ip(request),
    )


def log_access(request, patient: Patient, action: str) -> AccessLogEntry:
    """Record that the signed-in user opened `action` of `patient` (one insert)."""
    entry = _entry(request, patient.pk, action)
    entry.save()
    return entry


def log_access_many(request, patients, action: str) -> int:
    """The same for many patients at once (a whole-clinic export), in bulk inserts."""
    ids = list(patients.values_list("pk", flat=True))
    AccessLogEntry.objects.bulk_create((_entry(request, pk, action) for pk in ids), batch_size=1000)
    return len(ids)
