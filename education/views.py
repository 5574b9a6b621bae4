"""Clinicians give a page to a patient, or take it away, from the record page's panel."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from patients.access import clinician_required, patient_for_request
from patients.audit import records_access
from patients.models import AccessAction

from .forms import AttachForm, DetachForm
from .models import PatientEducation
from .panel import attachable_pages
from .services import education_attach, education_detach


def _back_to_record(patient):
    return redirect(f"{patient.get_absolute_url()}#education")


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@records_access(AccessAction.FORM)
@clinician_required
@require_POST
def attach(request, pk):
    patient = patient_for_request(request, pk)
    form = AttachForm(request.POST, pages=attachable_pages(patient))
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_record(patient)
    page = form.cleaned_data["page"]
    try:
        education_attach(
            patient=patient, page=page, user=request.user, note=form.cleaned_data["note"]
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"“{page.title}” attached.")
    return _back_to_record(patient)


@records_access(AccessAction.FORM, PatientEducation)
@clinician_required
@require_POST
def detach(request, pk):
    attachment = get_object_or_404(PatientEducation.objects.select_related("page"), pk=pk)
    patient = patient_for_request(request, attachment.patient_id)
    form = DetachForm(request.POST)
    if not form.is_valid():
        messages.error(request, _first_error(form))
        return _back_to_record(patient)
    education_detach(attachment=attachment, user=request.user, note=form.cleaned_data["note"])
    messages.success(request, f"“{attachment.page.title}” detached.")
    return _back_to_record(patient)
