"""Pages that combine several apps: the home page each role lands on."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from education.panel import panel_version, record_panel_context
from patients.access import Role, clinician_required, patient_for_request, role_of
from patients.audit import log_access
from patients.models import AccessAction, Patient
from scans.interpretation import record_version, scan_intervals

from . import fragments, record, worklist
from .forms import ClinicPatientListForm

PAGE_SIZE = 25


@login_required
def home(request):
    role = role_of(request.user)
    if role in (Role.CLINICIAN, Role.SUPERUSER):
        today = datetime.date.today()
        part = fragments.part(
            request,
            "osteoclinic/_worklist.html",
            key=("worklist", today, fragments.clinic_version()),
            context=lambda: {"sections": worklist.build(today)},
        )
        return render(request, "osteoclinic/worklist.html", {"part": part})
    if role == Role.PATIENT:
        return redirect("portal:home")
    if role == Role.EDITOR:
        return render(request, "osteoclinic/home_editor.html")
    return render(request, "osteoclinic/home_no_role.html", status=403)


@clinician_required
def patient_record(request, pk):
    patient = patient_for_request(request, pk)
    log_access(request, patient, AccessAction.RECORD)
    # The reading and the education panel are cached under the versions of the records they
    # show (the reading also under the settings it reads); the portal account and symptom
    # reports, whose changes leave no history, are read on every request.
    key = ("record", patient.pk, datetime.date.today(), scan_intervals())
    part = fragments.part(
        request,
        "osteoclinic/_patient_record.html",
        key=(*key, record_version(patient, whole=True)),
        context=lambda: record.reading_context(patient),
    )
    education = fragments.part(
        request,
        "education/_record_panel.html",
        key=("education-panel", patient.pk, panel_version(patient)),
        context=lambda: {"patient": patient, **record_panel_context(patient)},
    )
    context = {"part": part, "education_part": education, **record.activity_context(patient)}
    return render(request, "osteoclinic/patient_record.html", context)


@clinician_required
def patient_list(request):
    today = datetime.date.today()

    def context():
        form = ClinicPatientListForm(request.GET)
        patients = form.patients(Patient.objects.all(), today=today)
        page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
        page_range = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
        return {"page": page, "page_range": page_range, "form": form, "today": today}

    part = fragments.part(
        request,
        "osteoclinic/_patient_list.html",
        key=("patients", today, fragments.clinic_version(), sorted(request.GET.lists())),
        context=context,
    )
    return render(request, "osteoclinic/patient_list.html", {"part": part})


@clinician_required
def patient_summary(request, pk):
    patient = patient_for_request(request, pk)
    log_access(request, patient, AccessAction.SUMMARY)
    context = record.record_context(patient)
    context["today"] = datetime.date.today()
    return render(request, "osteoclinic/patient_summary.html", context)
