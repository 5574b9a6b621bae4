"""Pages that combine several apps: the home page each role lands on."""

import datetime

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from exchange.models import InboundMessage
from jobs.overview import waiting_notice
from patients.access import Role, clinician_required, patient_for_request, role_of
from patients.audit import records_access
from patients.models import AccessAction, Patient

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
            key=lambda: ("worklist", today, fragments.clinic_version()),
            context=lambda: {"sections": worklist.build(today)},
        )
        # Outside the cached part: it changes with the workers, not with the records.
        context = {
            "part": part,
            "waiting": waiting_notice(),
            "inbound_waiting": InboundMessage.objects.needing_attention().count(),
        }
        return render(request, "osteoclinic/worklist.html", context)
    if role in (Role.PATIENT, Role.CAREGIVER):
        return redirect("portal:home")
    if role == Role.EDITOR:
        return render(request, "osteoclinic/home_editor.html")
    return render(request, "osteoclinic/home_no_role.html", status=403)


@records_access(AccessAction.RECORD)
@clinician_required
def patient_record(request, pk):
    patient = patient_for_request(request, pk)
    return render(request, "osteoclinic/patient_record.html", record.page_context(request, patient))


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
        key=lambda: ("patients", today, fragments.clinic_version(), sorted(request.GET.lists())),
        context=context,
        query_string=True,
    )
    return render(request, "osteoclinic/patient_list.html", {"part": part})


@records_access(AccessAction.SUMMARY)
@clinician_required
def patient_summary(request, pk):
    patient = patient_for_request(request, pk)
    context = record.record_context(patient)
    context["today"] = datetime.date.today()
    return render(request, "osteoclinic/patient_summary.html", context)
