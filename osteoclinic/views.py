"""Pages that combine several apps: the home page each role lands on."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from patients.access import Role, clinician_required, own_patient, patient_for_request, role_of
from patients.models import Patient

from . import record


@login_required
def home(request):
    role = role_of(request.user)
    if role in (Role.CLINICIAN, Role.SUPERUSER):
        context = {"patient_count": Patient.objects.count()}
        return render(request, "osteoclinic/home_clinician.html", context)
    if role == Role.PATIENT:
        context = {"patient": own_patient(request.user)}
        return render(request, "osteoclinic/home_patient.html", context)
    if role == Role.EDITOR:
        return render(request, "osteoclinic/home_editor.html")
    return render(request, "osteoclinic/home_no_role.html", status=403)


@clinician_required
def patient_record(request, pk):
    patient = patient_for_request(request, pk)
    return render(request, "osteoclinic/patient_record.html", record.record_context(patient))
