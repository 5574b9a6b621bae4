"""Who may see what: roles and the one rule for reaching a patient's record.

Every view that shows patient data finds the patient through `patient_for_request`, which
answers 404 (never 403) for a record the user may not see, so ids cannot be probed. Every
portal view finds the patient it acts for through `portal_subject` (by `patient_required`):
the signed-in patient themself, or the patient a caregiver has chosen and still holds an
active grant for, checked again on every request.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from .models import CaregiverGrant, Patient

CLINICIANS = "Clinicians"
EDITORS = "Education editors"


class Role:
    ANONYMOUS = "anonymous"
    PATIENT = "patient"
    CAREGIVER = "caregiver"  # sees the portal of the patients who granted them access
    CLINICIAN = "clinician"
    EDITOR = "editor"
    SUPERUSER = "superuser"
    NONE = "none"  # signed in, but in no group and with no patient record

    LABELS = {
        ANONYMOUS: "Visitor",
        PATIENT: "Patient",
        CAREGIVER: "Caregiver",
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
    if not hasattr(user, "_osteoclinic_caregiver"):
        grants = CaregiverGrant.objects.active().filter(caregiver=user)
        user._osteoclinic_caregiver = grants.exists()
    if user._osteoclinic_caregiver:
        return Role.CAREGIVER
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


# The session remembers which patient a caregiver chose; the grant is checked on every request.
PORTAL_CHOICE = "portal_patient_id"


@dataclass(frozen=True)
class PortalSubject:
    """The patient a portal request acts for, and the grant it acts under (None: themself)."""

    patient: Patient
    grant: CaregiverGrant | None = None

    @property
    def on_behalf(self) -> bool:
        return self.grant is not None


class ChoosePatient(Exception):
    """A caregiver of several patients has not chosen one (or lost the one chosen)."""


def portal_choices(user) -> list[PortalSubject]:
    """The patients whose portal this user may open: their own first, then by name."""
    choices = []
    if (own := own_patient(user)) is not None:
        choices.append(PortalSubject(own))
    grants = CaregiverGrant.objects.active().filter(caregiver=user).select_related("patient")
    by_name = sorted(grants, key=lambda grant: (str(grant.patient), grant.patient.pk))
    choices += [PortalSubject(grant.patient, grant) for grant in by_name]
    return choices


def portal_subject(request) -> PortalSubject | None:
    """The patient this portal request acts for: None when the user has no portal at all.

    Raises ChoosePatient when a caregiver of several patients must choose first. A choice whose
    grant has been revoked is forgotten, so revoking takes effect at the next request.
    """
    choices = portal_choices(request.user)
    chosen = request.session.get(PORTAL_CHOICE)
    if chosen is not None:
        for choice in choices:
            if choice.patient.pk == chosen:
                return choice
        del request.session[PORTAL_CHOICE]
    if not choices:
        return None
    if choices[0].on_behalf and len(choices) > 1:
        raise ChoosePatient
    return choices[0]


def portal_choose(request, patient_pk) -> PortalSubject | None:
    """Remember the patient chosen, if this user may open their portal."""
    for choice in portal_choices(request.user):
        if choice.patient.pk == patient_pk:
            request.session[PORTAL_CHOICE] = patient_pk
            return choice
    return None


def refuse_on_behalf(request) -> None:
    """For portal pages that are the patient's alone (who has access, who looked): a caregiver
    is refused (403)."""
    if request.portal_subject.on_behalf:
        raise PermissionDenied("This page is for the patient only.")


def patient_required(view):
    """Portal pages: the patient the request acts for is passed to the view, else 404.

    A caregiver of several patients who has not chosen one is sent to choose.
    """

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        try:
            subject = portal_subject(request)
        except ChoosePatient:
            return redirect("portal:choose")
        if subject is None:
            raise Http404("No patient record is linked to this account.")
        request._access_patient = subject.patient
        request.portal_subject = subject  # the access log and the templates read it
        return view(request, subject.patient, *args, **kwargs)

    return wrapper
