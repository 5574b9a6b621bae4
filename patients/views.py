"""Clinician pages for patients' records."""

import datetime
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery, Value
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_decode
from django.views.decorators.http import require_POST

from . import caregivers, services
from .access import clinician_required, patient_for_request
from .audit import records_access
from .concurrency import changed_since_opened
from .forms import (
    AcknowledgeForm,
    ClinicianCaregiverInviteForm,
    ClinicianSymptomReportForm,
    EnteredInErrorForm,
    FractureForm,
    HeightForm,
    PatientForm,
    SecureMessageForm,
    TreatmentForm,
)
from .history import HISTORY_SOURCES, record_label
from .models import (
    AccessAction,
    CaregiverGrant,
    Fracture,
    GrantChannel,
    HeightMeasurement,
    MessageSender,
    Patient,
    ReportSource,
    SecureMessage,
    SymptomReport,
    Treatment,
)
from .signals import announce_record_changed
from .submissions import once_per_token, submission_save
from .tokens import invitation_token

HISTORY_PAGE_SIZE = 50


PREFILLED = ("mrn", "family_name", "given_name", "date_of_birth", "sex")


def _posted(request):
    # Not `request.POST or None`: an empty POST must still be validated, not shown afresh.
    return request.POST if request.method == "POST" else None


def _page_range(page):
    return page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)


# --- Patients -------------------------------------------------------------------------------


@clinician_required
@once_per_token
def patient_create(request):
    # A link may carry the details to start from (a received result's patient).
    prefill = {name: request.GET[name] for name in PREFILLED if name in request.GET}
    form = PatientForm(_posted(request), initial=prefill)
    if request.method == "POST" and form.is_valid():

        def save():
            patient = form.save()
            announce_record_changed(Patient, patient)
            messages.success(request, f"Patient {patient.family_name}, {patient.given_name} added.")
            return patient.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    return render(request, "patients/patient_form.html", {"form": form, "patient": None})


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def patient_edit(request, pk):
    patient = patient_for_request(request, pk)
    form = PatientForm(_posted(request), instance=patient)
    if request.method == "POST" and form.is_valid():

        def save():
            if changed_since_opened(form):
                return None
            # Risk factors and menopause decide which education pages apply.
            announce_record_changed(Patient, form.save())
            messages.success(request, "Patient details saved.")
            return patient.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    return render(request, "patients/patient_form.html", {"form": form, "patient": patient})


# --- Fractures, heights and treatments: one pattern for the three --------------------------


@dataclass(frozen=True)
class RecordKind:
    model: type
    form_class: type
    noun: str  # "fracture", shown in titles and messages


FRACTURE = RecordKind(Fracture, FractureForm, "fracture")
HEIGHT = RecordKind(HeightMeasurement, HeightForm, "height")
TREATMENT = RecordKind(Treatment, TreatmentForm, "treatment")


def _record_for_request(request, kind: RecordKind, pk):
    # Marked records stay in the history only; they are neither edited nor marked again.
    record = get_object_or_404(kind.model.objects.valid(), pk=pk)
    record.patient = patient_for_request(request, record.patient_id)
    return record


def _record_form(request, kind: RecordKind, record, message: str):
    # Named as stored: a refused form leaves what was typed on the instance.
    stored = str(record) if record.pk else ""
    form = kind.form_class(_posted(request), instance=record)
    if request.method == "POST" and form.is_valid():

        def save():
            if changed_since_opened(form):
                return None
            announce_record_changed(kind.model, form.save().patient)
            messages.success(request, message)
            return record.patient.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    context = {"form": form, "stored": stored, "patient": record.patient, "noun": kind.noun}
    return render(request, "patients/record_form.html", context)


def _record_error(request, kind: RecordKind, record):
    form = EnteredInErrorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            record.mark_entered_in_error(form.cleaned_data["reason"])
            announce_record_changed(kind.model, record.patient)
        messages.success(request, f"{kind.noun.capitalize()} marked as entered in error.")
        return redirect(record.patient)
    context = {"form": form, "record": record, "patient": record.patient, "noun": kind.noun}
    return render(request, "patients/record_error.html", context)


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def fracture_create(request, pk):
    patient = patient_for_request(request, pk)
    return _record_form(request, FRACTURE, Fracture(patient=patient), "Fracture added.")


@records_access(AccessAction.FORM, Fracture, "fracture_pk")
@clinician_required
@once_per_token
def fracture_edit(request, fracture_pk):
    fracture = _record_for_request(request, FRACTURE, fracture_pk)
    return _record_form(request, FRACTURE, fracture, "Fracture saved.")


@records_access(AccessAction.FORM, Fracture, "fracture_pk")
@clinician_required
def fracture_error(request, fracture_pk):
    fracture = _record_for_request(request, FRACTURE, fracture_pk)
    return _record_error(request, FRACTURE, fracture)


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def height_create(request, pk):
    patient = patient_for_request(request, pk)
    return _record_form(request, HEIGHT, HeightMeasurement(patient=patient), "Height added.")


@records_access(AccessAction.FORM, HeightMeasurement, "height_pk")
@clinician_required
@once_per_token
def height_edit(request, height_pk):
    height = _record_for_request(request, HEIGHT, height_pk)
    return _record_form(request, HEIGHT, height, "Height saved.")


@records_access(AccessAction.FORM, HeightMeasurement, "height_pk")
@clinician_required
def height_error(request, height_pk):
    height = _record_for_request(request, HEIGHT, height_pk)
    return _record_error(request, HEIGHT, height)


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def treatment_create(request, pk):
    patient = patient_for_request(request, pk)
    return _record_form(request, TREATMENT, Treatment(patient=patient), "Treatment added.")


@records_access(AccessAction.FORM, Treatment, "treatment_pk")
@clinician_required
@once_per_token
def treatment_edit(request, treatment_pk):
    treatment = _record_for_request(request, TREATMENT, treatment_pk)
    return _record_form(request, TREATMENT, treatment, "Treatment saved.")


@records_access(AccessAction.FORM, Treatment, "treatment_pk")
@clinician_required
def treatment_error(request, treatment_pk):
    treatment = _record_for_request(request, TREATMENT, treatment_pk)
    return _record_error(request, TREATMENT, treatment)


# --- History ---------------------------------------------------------------------------------


@records_access(AccessAction.HISTORY)
@clinician_required
def patient_history(request, pk):
    patient = patient_for_request(request, pk)
    entries = _history_entries(patient)
    page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _describe(page.object_list)
    context = {"patient": patient, "page": page, "page_range": _page_range(page)}
    return render(request, "patients/patient_history.html", context)


def _history_entries(patient):
    """(history_id, history_date, kind) of every version, newest first, as one query."""
    parts = [
        source.model.history.filter(**{source.lookup: patient.pk})
        .annotate(kind=Value(kind, output_field=models.CharField()))
        .values_list("history_id", "history_date", "kind")
        .order_by()  # the historical models' own ordering is not allowed inside a UNION
        for kind, source in HISTORY_SOURCES.items()
    ]
    return parts[0].union(*parts[1:], all=True).order_by("-history_date", "-history_id")


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    when: datetime.datetime
    who: str
    record: str
    action: str
    changes: list[Change] = field(default_factory=list)


def _describe(rows) -> list[HistoryEntry]:
    """One page of versions with who made them and what changed: two queries per kind."""
    ids_by_kind: dict[str, list[int]] = {}
    for history_id, _, kind in rows:
        ids_by_kind.setdefault(kind, []).append(history_id)
    versions = {}
    for kind, ids in ids_by_kind.items():
        model = HISTORY_SOURCES[kind].model
        earlier = model.history.filter(id=OuterRef("id")).filter(
            Q(history_date__lt=OuterRef("history_date"))
            | Q(history_date=OuterRef("history_date"), history_id__lt=OuterRef("history_id"))
        )
        page_versions = list(
            model.history.filter(history_id__in=ids)
            .select_related("history_user", *HISTORY_SOURCES[kind].related)
            .annotate(
                previous_id=Subquery(
                    earlier.order_by("-history_date", "-history_id").values("history_id")[:1]
                )
            )
        )
        previous_ids = [v.previous_id for v in page_versions if v.previous_id is not None]
        previous = model.history.in_bulk(previous_ids, field_name="history_id")
        for version in page_versions:
            versions[kind, version.history_id] = (version, previous.get(version.previous_id))
    return [_entry(kind, *versions[kind, history_id]) for history_id, _, kind in rows]


ACTIONS = {"+": "Created", "~": "Changed", "-": "Deleted"}


def _entry(kind: str, version, previous) -> HistoryEntry:
    model = HISTORY_SOURCES[kind].model
    record = record_label(kind, version)
    changes = []
    if previous is not None and version.history_type == "~":
        delta = version.diff_against(previous)
        order = {f.name: i for i, f in enumerate(model._meta.fields)}
        for change in sorted(delta.changes, key=lambda c: order.get(c.field, 0)):
            model_field = model._meta.get_field(change.field)
            changes.append(
                Change(
                    str(model_field.verbose_name),
                    _shown(model_field, change.old),
                    _shown(model_field, change.new),
                )
            )
    action = ACTIONS.get(version.history_type, version.history_type)
    if changes and getattr(version, "entered_in_error", False) and not previous.entered_in_error:
        action = "Marked as entered in error"
    who = version.author  # kept as text: it outlives the account (patients.authorship)
    return HistoryEntry(version.history_date, who, record, action, changes)


def _shown(model_field, value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, datetime.date):
        return f"{value:%Y-%m-%d}"
    return str(value)


# --- Portal access ---------------------------------------------------------------------------


@records_access(AccessAction.FORM)
@require_POST
@clinician_required
@once_per_token
def portal_invite(request, pk):
    patient = patient_for_request(request, pk)
    invitation = None

    def save():
        nonlocal invitation
        base_url = request.build_absolute_uri("/")
        invitation = services.portal_invite(patient=patient, base_url=base_url)
        return patient.get_absolute_url()

    location = submission_save(request, save=save)
    if invitation is None:
        # The same button sent twice: the first request made the invitation.
        return redirect(location)
    context = {"patient": patient, "invitation": invitation}
    return render(request, "patients/invitation_done.html", context)


@records_access(AccessAction.FORM)
@require_POST
@clinician_required
def portal_revoke(request, pk):
    patient = patient_for_request(request, pk)
    services.portal_revoke(patient=patient)
    messages.success(request, f"Portal access for {patient.full_name} is revoked.")
    return redirect(patient)


def invitation_accept(request, uidb64, token):
    """A patient sets their password through the one-time link (no sign-in needed)."""
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode(), patient__isnull=False)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError, UnicodeDecodeError):
        user = None
    if user is None or not user.is_active or not invitation_token.check_token(user, token):
        return render(request, "patients/invitation_invalid.html", status=410)
    form = SetPasswordForm(user, _posted(request))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # The account row is locked while the link is used: of two requests at once, the
            # second waits, then finds the token spent (it is bound to the password set here).
            locked = User.objects.select_for_update().get(pk=user.pk)
            if not locked.is_active or not invitation_token.check_token(locked, token):
                return render(request, "patients/invitation_invalid.html", status=410)
            form.user = locked
            form.save()
        login(request, locked, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Your password is set. Welcome to your bone health portal.")
        return redirect("home")
    return render(request, "patients/invitation_accept.html", {"form": form, "user": user})


# --- Caregivers (clinician side) --------------------------------------------------------------


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def caregiver_invite(request, pk):
    """A clinician invites a caregiver for the patient, recording the patient's consent."""
    patient = patient_for_request(request, pk)
    form = ClinicianCaregiverInviteForm(_posted(request), patient=patient)
    if request.method == "POST" and form.is_valid():

        def save():
            grant = caregivers.caregiver_invite(
                patient=patient,
                channel=GrantChannel.CLINICIAN,
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
            messages.success(request, f"An invitation is on its way to {grant.email}.")
            return patient.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    return render(request, "patients/caregiver_form.html", {"form": form, "patient": patient})


@records_access(AccessAction.FORM, CaregiverGrant, "grant_pk")
@require_POST
@clinician_required
def caregiver_revoke(request, grant_pk):
    """End a caregiver's access (for instance when the patient asks the clinic to)."""
    grant = get_object_or_404(CaregiverGrant, pk=grant_pk)
    patient = patient_for_request(request, grant.patient_id)
    grant = caregivers.caregiver_revoke(grant=grant, user=request.user)
    messages.success(request, f"{grant.name}'s access to the portal of {patient.full_name} ended.")
    return redirect(patient)


# --- Symptom reports (clinician side) --------------------------------------------------------


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def symptom_create(request, pk):
    patient = patient_for_request(request, pk)
    form = ClinicianSymptomReportForm(
        _posted(request), instance=SymptomReport(patient=patient), patient=patient
    )
    if request.method == "POST" and form.is_valid():

        def save():
            report = form.save(commit=False)
            report.source = ReportSource.CLINICIAN
            services.symptom_report_record(report=report, user=request.user)
            messages.success(request, "Symptom report added.")
            return patient.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    return render(request, "patients/symptomreport_form.html", {"form": form, "patient": patient})


@records_access(AccessAction.FORM, SymptomReport, "report_pk")
@require_POST
@clinician_required
def symptom_acknowledge(request, report_pk):
    report = get_object_or_404(SymptomReport.objects.valid(), pk=report_pk)
    patient = patient_for_request(request, report.patient_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = patient.get_absolute_url()
    form = AcknowledgeForm(request.POST)
    if not form.is_valid():
        # The note is shown again with the message beside it, nothing acknowledged yet.
        context = {"form": form, "report": report, "patient": patient, "next": target}
        return render(request, "patients/symptom_acknowledge.html", context, status=400)
    services.symptom_report_acknowledge(
        report=report, user=request.user, note=form.cleaned_data["note"]
    )
    messages.success(request, f"Red flags of {report.reported_at:%Y-%m-%d} acknowledged.")
    return redirect(target)


# --- Secure messages ------------------------------------------------------------------------


def message_form_page(request, *, patient, sender: str, location: str, sent: str):
    """The thread with its form, for either side: a message sent once per token; opening the
    thread marks the other side's messages read."""
    form = SecureMessageForm(_posted(request))
    if request.method == "POST" and form.is_valid():

        def save():
            services.message_write(
                patient=patient,
                sender=sender,
                author=request.user,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
            )
            messages.success(request, sent)
            return location

        if done := submission_save(request, form=form, save=save):
            return None, done
    other = MessageSender.CLINIC if sender == MessageSender.PATIENT else MessageSender.PATIENT
    thread = list(SecureMessage.objects.filter(patient=patient).select_related("patient"))
    unread = {m.pk for m in thread if m.sender == other and m.read_at is None}
    if request.method == "GET":
        services.messages_mark_read(patient=patient, sender=other)
    context = {"patient": patient, "thread": thread, "unread": unread, "form": form}
    return context, None


@records_access(AccessAction.MESSAGES)
@clinician_required
@once_per_token
def messages_thread(request, pk):
    """The patient's thread with the clinic, on their record: read it, reply, mark it done."""
    patient = patient_for_request(request, pk)
    context, done = message_form_page(
        request,
        patient=patient,
        sender=MessageSender.CLINIC,
        location=reverse("patients:messages", kwargs={"pk": patient.pk}),
        sent=f"Your reply to {patient.full_name} is sent.",
    )
    if done:
        return redirect(done)
    thread, form = context["thread"], context["form"]
    if not form.is_bound:
        latest = next((m for m in reversed(thread) if m.sender == MessageSender.PATIENT), None)
        if latest is not None:
            subject = (
                latest.subject if latest.subject.startswith("Re: ") else f"Re: {latest.subject}"
            )
            form.initial["subject"] = subject[:200]
    context["open_count"] = sum(
        1 for m in thread if m.sender == MessageSender.PATIENT and not m.done_at
    )
    return render(request, "patients/messages_thread.html", context)


@records_access(AccessAction.FORM)
@require_POST
@clinician_required
def messages_done(request, pk):
    patient = patient_for_request(request, pk)
    count = services.messages_mark_done(patient=patient, user=request.user)
    if count:
        messages.success(
            request,
            f"{count} message{'s' if count != 1 else ''} of {patient.full_name} marked done.",
        )
    else:
        messages.info(request, "No open message to mark done.")
    return redirect("patients:messages", pk=patient.pk)
