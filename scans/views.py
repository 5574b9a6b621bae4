"""Clinician pages for scanners and DEXA scans."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from outbox.models import Message
from patients.access import clinician_required, patient_for_request
from patients.audit import records_access
from patients.concurrency import version_of
from patients.forms import EnteredInErrorForm
from patients.models import AccessAction, ClinicDetails, ReleaseRule
from patients.submissions import once_per_token, submission_save

from . import entry, plausibility, review, services, trends
from .forms import (
    DeviceForm,
    FraxForm,
    PrecisionStudyForm,
    ScanForm,
    entered_results,
    measurement_formset,
)
from .interpretation import load_record, study_holds
from .models import Device, DexaScan, FraxEntry, Site
from .rules.basics import Site as RuleSite
from .rules.monitoring import default_precision
from .vertebrae import VertebraeForm


@clinician_required
def device_list(request):
    devices = Device.objects.all()
    return render(request, "scans/device_list.html", {"devices": devices})


@clinician_required
@once_per_token
def device_form(request, pk=None):
    device = get_object_or_404(Device, pk=pk) if pk else None
    form = DeviceForm(_posted(request), instance=device)
    if request.method == "POST" and form.is_valid():

        def save():
            saved = services.device_save(form=form)
            if saved is None:
                return None
            messages.success(request, f"Scanner {saved} saved.")
            return saved.get_absolute_url()

        if location := submission_save(request, form=form, save=save):
            return redirect(location)
    return render(request, "scans/device_form.html", {"form": form, "device": device})


@clinician_required
def device_detail(request, pk):
    device = get_object_or_404(Device, pk=pk)
    studies = device.precision_studies.select_related("created_by")
    in_force = {}
    today = timezone.localdate()
    for study in studies:
        if study_holds(study.date, device.moved_on, today):
            in_force.setdefault(study.site, study)
    defaults = [
        (label, in_force.get(code), default_precision(RuleSite(code)))
        for code, label in Site.choices
    ]
    context = {
        "device": device,
        "studies": studies,
        "sites": defaults,
        "lines": entry.device_lines(device),
        "line_rules": plausibility,
    }
    return render(request, "scans/device_detail.html", context)


@clinician_required
@once_per_token
def precision_create(request, pk):
    device = get_object_or_404(Device, pk=pk)
    form = PrecisionStudyForm(_posted(request))
    if request.method == "POST" and form.is_valid():

        def save():
            study = services.precision_study_record(
                device=device,
                site=form.cleaned_data["site"],
                day=form.cleaned_data["date"],
                groups=form.cleaned_data["values_text"],
                user=request.user,
            )
            messages.success(request, f"Precision study saved: LSC {study.lsc} g/cm².")
            return device.get_absolute_url()

        return redirect(submission_save(request, form=form, save=save))
    return render(request, "scans/precisionstudy_form.html", {"form": form, "device": device})


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def frax_create(request, pk):
    patient = patient_for_request(request, pk)
    form = FraxForm(_posted(request), patient=patient)
    if request.method == "POST" and form.is_valid():

        def save():
            services.frax_record(patient=patient, form=form)
            messages.success(request, "FRAX result recorded.")
            return patient.get_absolute_url()

        return redirect(submission_save(request, form=form, save=save))
    return render(request, "scans/fraxentry_form.html", {"form": form, "patient": patient})


@records_access(AccessAction.FORM, FraxEntry)
@clinician_required
def frax_error(request, pk):
    entry = get_object_or_404(FraxEntry.objects.valid(), pk=pk)
    patient = patient_for_request(request, entry.patient_id)
    form = EnteredInErrorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.frax_mark_entered_in_error(entry=entry, reason=form.cleaned_data["reason"])
        messages.success(request, "FRAX result marked as entered in error.")
        return redirect(patient)
    context = {"form": form, "patient": patient, "record": entry}
    return render(request, "scans/record_error.html", context)


def _posted(request):
    # Not `request.POST or None`: an empty POST must be validated, not shown afresh.
    return request.POST if request.method == "POST" else None


def _scan_for_request(request, pk, *, valid_only: bool = True) -> DexaScan:
    """The scan if this request may see it; one entered in error can only be looked at."""
    scans = DexaScan.objects.valid() if valid_only else DexaScan.objects
    scan = get_object_or_404(scans.select_related("device", "reviewed_by"), pk=pk)
    patient_for_request(request, scan.patient_id)
    return scan


@records_access(AccessAction.FORM)
@clinician_required
@once_per_token
def scan_create(request, pk):
    patient = patient_for_request(request, pk)
    return _scan_form(request, patient, DexaScan(patient=patient))


@records_access(AccessAction.FORM, DexaScan)
@clinician_required
@once_per_token
def scan_edit(request, pk):
    scan = _scan_for_request(request, pk)
    return _scan_form(request, scan.patient, scan)


def _scan_form(request, patient, scan):
    data = request.POST if request.method == "POST" else None
    form = ScanForm(data, instance=scan, patient=patient)
    formset = measurement_formset(data=data, instance=scan)
    vertebrae = VertebraeForm(data, scan=scan)
    valid = data is not None and all([form.is_valid(), formset.is_valid(), vertebrae.is_valid()])
    if valid:
        warnings = entry.scan_warnings(
            patient=patient,
            device=form.cleaned_data["device"],
            date=form.cleaned_data["date"],
            results=entered_results(formset),
            scan_id=scan.pk,
        )
        if not form.needs_check(warnings):
            was_released = scan.pk is not None and scan.is_released

            def save():
                saved = services.scan_save(
                    patient=patient,
                    form=form,
                    formset=formset,
                    vertebrae=vertebrae,
                    warnings=warnings,
                    user=request.user,
                )
                if saved is None:
                    return None
                note = ""
                if was_released and not saved.is_released:
                    note = " It is back to draft and out of the portal until it is released again."
                messages.success(request, f"Scan of {saved.date:%Y-%m-%d} saved.{note}")
                return patient.get_absolute_url()

            if location := submission_save(request, form=form, save=save):
                return redirect(location)
    context = {
        "form": form,
        "formset": formset,
        "vertebrae": vertebrae,
        "patient": patient,
        "scan": scan,
        "warnings": getattr(form, "warnings", []),
    }
    return render(request, "scans/dexascan_form.html", context)


@records_access(AccessAction.SCAN, DexaScan)
@clinician_required
def scan_detail(request, pk):
    scan = _scan_for_request(request, pk, valid_only=False)
    record = load_record(scan.patient)
    vertebrae = list(scan.vertebrae.all())
    context = {
        "scan": scan,
        "patient": scan.patient,
        "measurements": scan.measurements.all(),
        "vertebrae": vertebrae,
        "vertebra_note": entry.vertebra_note(vertebrae),
        "scan_reading": review.reading_of(record, scan),
        # Results sent on release, and what the receiver answered.
        "sent": Message.objects.filter(about=f"scan:{scan.pk}").order_by("created_at", "pk"),
    }
    return render(request, "scans/dexascan_detail.html", context)


@records_access(AccessAction.SCAN, DexaScan)
@clinician_required
def scan_review(request, pk):
    """The review page: a scan is released only from here, after its values, checks, reading
    and the changes its release makes have been shown."""
    scan = _scan_for_request(request, pk)
    target = request.POST.get("next") or request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = ""
    holding = request.method == "POST" and request.POST.get("action") == review.HoldForm.HOLD
    hold_form = review.HoldForm(_posted(request) if holding else None)
    form = review.ReleaseForm(None if holding else _posted(request), scan=scan)
    if holding and not scan.is_released and hold_form.is_valid():
        services.scan_hold(scan=scan, user=request.user, reason=hold_form.cleaned_data["reason"])
        messages.success(request, f"Scan of {scan.date:%Y-%m-%d} is held from timed release.")
        return redirect(reverse("scans:scan_review", kwargs={"pk": scan.pk}))
    if request.method == "POST" and not holding and not scan.is_released and form.is_valid():
        release = form.cleaned_data["action"] == review.ReleaseForm.RELEASE
        done = services.scan_review(
            scan=scan,
            user=request.user,
            release=release,
            patient_note=form.cleaned_data["patient_note"],
            opened=form.cleaned_data["opened"],
        )
        if done is not None:
            verb = "released to the patient's portal" if release else "marked reviewed"
            messages.success(request, f"Scan of {scan.date:%Y-%m-%d} {verb}.")
            return redirect(target or scan.patient.get_absolute_url())
        # Changed meanwhile: show the stored scan, and let the decision be taken again on it.
        scan = _scan_for_request(request, pk)
        data = request.POST.copy()
        data["opened"] = version_of(scan)
        form = review.ReleaseForm(data, scan=scan)
        form.is_valid()
        form.stale()
    context = review.review_context(load_record(scan.patient), scan)
    context.update(
        {
            "form": form,
            "hold_form": hold_form,
            "next": target,
            "clinic": ClinicDetails.current(),
            "timed": ReleaseRule.AFTER_DAYS,
        }
    )
    return render(request, "scans/dexascan_review.html", context)


@records_access(AccessAction.FORM, DexaScan)
@clinician_required
def scan_error(request, pk):
    scan = _scan_for_request(request, pk)
    form = EnteredInErrorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.scan_mark_entered_in_error(scan=scan, reason=form.cleaned_data["reason"])
        messages.success(request, f"Scan of {scan.date:%Y-%m-%d} marked as entered in error.")
        return redirect(scan.patient)
    context = {"form": form, "scan": scan, "patient": scan.patient}
    return render(request, "scans/dexascan_error.html", context)


@records_access(AccessAction.CHART)
@clinician_required
def chart(request, pk, kind):
    patient = patient_for_request(request, pk)
    if kind not in trends.KINDS:
        raise Http404("No such chart.")
    return trends.patient_chart_response(request, patient, kind)


def chart_inputs_for(patient, kind, *, released_only=False) -> dict:
    records = load_record(patient, released_only=released_only)
    return trends.chart_inputs(
        kind,
        records["reading"].readings,
        records["fractures"],
        records["treatments"],
        records["studies"],
    )
