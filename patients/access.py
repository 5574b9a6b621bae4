"""Who may see what: roles and the one rule for reaching a patient's record.

Every view that shows patient data finds the patient through `patient_for_request`, which
answers 404 (never 403) for a record the user may not see, so ids cannot be probed.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Patient

CLINICIANS = "Clinicians"
EDITORS = "Education editors"


class Role:
    ANONYMOUS = "anonymous"
    PATIENT = "patient"
    CLINICIAN = "clinician"
    EDITOR = "editor"
    SUPERUSER = "superuser"
    NONE = "none"  # signed in, but in no group and with no patient record

    LABELS = {
        ANONYMOUS: "Visitor",
        PATIENT: "Patient",
        CLINICIAN: "Clinician",
        EDITOR: "Education editor",
        SUPERUSER: "Administrator",
        NONE: "No role",
    }


def _group_names(user) -> frozenset[str]:
    # Cached on the user object: the navigation and the view both ask within one request.
    if not hasattr(user, "_osteoclinic_groups"):
        user._osteoclinic_groups = frozenset(user.groups.values_list("name", flat=True))
    return user._osteoclinic_groups


def role_of(user) -> str:
    """The role that decides what this user may open."""
    if not user.is_authenticated or not user.is_active:
        return Role.ANONYMOUS
    if user.is_superuser:
        return Role.SUPERUSER
    groups = _group_names(user)
    if CLINICIANS in groups:
        return Role.CLINICIAN
    if EDITORS in groups:
        return Role.EDITOR
    if own_patient(user) is not None:
        return Role.PATIENT
    return Role.NONE


def is_clinician(user) -> bool:
    """Clinicians and superusers see and change all patient data."""
    return role_of(user) in (Role.CLINICIAN, Role.SUPERUSER)


def is_editor(user) -> bool:
    return role_of(user) in (Role.EDITOR, Role.SUPERUSER)


def own_patient(user) -> Patient | None:
    """The Patient linked to this portal user, if any."""
    if not user.is_authenticated:
        return None
    try:
        return user.patient
    except Patient.DoesNotExist:
        return None


def can_see_patient(user, patient: Patient) -> bool:
    """Clinicians see any record; a patient only their own; everyone else none."""
    if is_clinician(user):
        return True
    mine = own_patient(user)
    return mine is not None and mine.pk == patient.pk


def patient_for_request(request, pk, queryset=None) -> Patient:
    """The patient `pk` if this request may see it, else 404."""
    patient = get_object_or_404(queryset if queryset is not None else Patient.objects, pk=pk)
    if not can_see_patient(request.user, patient):
        raise Http404("No such patient.")
    request._access_patient = patient  # the patient the access log writes (patients.audit)
    return patient


def clinician_required(view):
    """Anonymous users go to sign in; signed-in users who are not clinicians get 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not is_clinician(request.user):
            raise PermissionDenied("This page is for clinicians.")
        return view(request, *args, **kwargs)

    return wrapper


def patient_required(view):
    """Portal pages: the signed-in user's own Patient is passed to the view, else 404."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        patient = own_patient(request.user)
        if patient is None:
            raise Http404("No patient record is linked to this account.")
        request._access_patient = patient
        return view(request, patient, *args, **kwargs)

    return wrapper
