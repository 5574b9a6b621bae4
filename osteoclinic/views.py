"""Pages that combine several apps: the home page each role lands on."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from patients.access import Role, own_patient, role_of
from patients.models import Patient


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
