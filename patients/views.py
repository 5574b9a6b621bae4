"""Clinician pages for patients' records."""

from django.core.paginator import Paginator
from django.shortcuts import render

from .access import clinician_required, patient_for_request
from .models import Patient

PAGE_SIZE = 25


@clinician_required
def patient_list(request):
    query = request.GET.get("q", "").strip()
    patients = Patient.objects.search(query)
    page = Paginator(patients, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "patients/patient_list.html", {"page": page, "query": query})


@clinician_required
def patient_detail(request, pk):
    patient = patient_for_request(request, pk)
    return render(request, "patients/patient_detail.html", {"patient": patient})
