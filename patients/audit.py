"""The access log: every view of a patient's data is written down, refused attempts too.

One path: a view of patient data is wrapped in `records_access`, which writes exactly one entry
for each request of a signed-in user — "shown" when the page answered, "refused" when the URL
named a patient's record and the answer was 403 or 404. HEAD and conditional (304) requests go
through the same view and are written once, like a GET. Visitors who are not signed
in are sent to sign in and write nothing: nothing about the patient was looked at, and they
cannot fill the log.
"""

from functools import wraps

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404

from .access import Role, role_of
from .client_ip import client_ip
from .models import AccessLogEntry, AccessOutcome, Patient

REFUSALS = (403, 404)


def _role(request) -> str:
    # A portal page opened by a caregiver for the patient they help is logged as theirs, as a
    # caregiver, whatever else the account is (a patient may help another).
    subject = getattr(request, "portal_subject", None)
    if subject is not None and subject.on_behalf:
        return Role.CAREGIVER
    return role_of(request.user)


def _entry(request, patient_id: int, action: str, outcome: str) -> AccessLogEntry:
    user = request.user
    return AccessLogEntry(
        user=user if user.is_authenticated else None,
        username=user.get_username(),
        user_full_name=user.get_full_name() if user.is_authenticated else "",
        role=_role(request),
        patient_id=patient_id,
        action=action,
        outcome=outcome,
        path=request.get_full_path()[:300],
        ip_address=client_ip(request),
    )


def _logged(request) -> set:
    if not hasattr(request, "_access_logged"):
        request._access_logged = set()
    return request._access_logged


def log_access(
    request, patient, action: str, outcome: str = AccessOutcome.SHOWN
) -> AccessLogEntry | None:
    """Record that this request opened `action` of `patient`: once per request and patient."""
    patient_id = patient.pk if isinstance(patient, Patient) else patient
    if patient_id in _logged(request):
        return None
    entry = _entry(request, patient_id, action, outcome)
    entry.save()
    _logged(request).add(patient_id)
    return entry


def log_access_many(request, patient_ids, action: str) -> int:
    """The same for many patients at once (an export, an admin list), in bulk inserts."""
    seen = _logged(request)
    ids = [pk for pk in dict.fromkeys(patient_ids) if pk not in seen]
    AccessLogEntry.objects.bulk_create(
        (_entry(request, pk, action, AccessOutcome.SHOWN) for pk in ids), batch_size=1000
    )
    seen.update(ids)
    return len(ids)


def named_patient_id(model, kwarg: str, kwargs: dict) -> int | None:
    """The patient whose record the URL names, whether or not this user may see it."""
    value = kwargs.get(kwarg)
    if model is None or value is None:
        return None
    try:
        if model is Patient:
            return Patient.objects.filter(pk=value).values_list("pk", flat=True).first()
        return model._base_manager.filter(pk=value).values_list("patient_id", flat=True).first()
    except (ValueError, TypeError, ObjectDoesNotExist):
        return None


def records_access(action: str, model=Patient, kwarg: str = "pk"):
    """Wrap a view of patient data so that each signed-in request writes exactly one entry.

    `model` and `kwarg` say which URL argument names the record (a Patient, or a record with a
    `patient_id`); `model=None` for portal pages, whose patient is the signed-in user's own.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                response = view(request, *args, **kwargs)
            except (Http404, PermissionDenied):
                _refused(request, action, model, kwarg, kwargs)
                raise
            if request.user.is_authenticated:
                if response.status_code in REFUSALS:
                    _refused(request, action, model, kwarg, kwargs)
                elif response.status_code < 400:  # 304 too: a conditional request is a view
                    _shown(request, action, model, kwarg, kwargs)
            return response

        return wrapper

    return decorator


def _shown(request, action, model, kwarg, kwargs) -> None:
    if getattr(request, "_access_logged", None):
        return  # the view logged what it showed itself (an export of many patients)
    patient = getattr(request, "_access_patient", None)
    patient_id = patient.pk if patient is not None else named_patient_id(model, kwarg, kwargs)
    if patient_id is not None:
        log_access(request, patient_id, action)


def _refused(request, action, model, kwarg, kwargs) -> None:
    if not request.user.is_authenticated or getattr(request, "_access_logged", None):
        return
    patient_id = named_patient_id(model, kwarg, kwargs)
    if patient_id is not None:
        log_access(request, patient_id, action, AccessOutcome.REFUSED)
