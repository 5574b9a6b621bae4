"""The patient portal: a signed-in patient's own results, charts, education and diary.

Every view gets the patient from the signed-in user (`patient_required`), never from the URL,
and reads released scans only.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from education.models import Audience, PageStatus, PatientEducation
from education.services import education_mark_viewed
from patients import epochs
from patients.access import patient_required
from patients.access_report import patient_access_groups
from patients.audit import records_access
from patients.concurrency import changed_since_opened
from patients.forms import NotificationPreferencesForm, SymptomReportForm
from patients.models import (
    AccessAction,
    ClinicDetails,
    MessageSender,
    ReportSource,
    SymptomReport,
)
from patients.notifications import preferences_of
from patients.services import symptom_report_record
from patients.submissions import once_per_token, submission_save
from patients.symptoms import CONTACT_CLINIC_MESSAGE, RED_FLAGS
from patients.views import message_form_page
from scans import charts, plain, trends
from scans.interpretation import load_record, record_version, scan_intervals
from scans.models import DexaScan

from . import fragments
from .record import chart_panels

DIARY_LENGTH = 50


def _released(patient) -> dict:
    return load_record(patient, released_only=True)


@records_access(AccessAction.PORTAL, None)
@patient_required
def home(request, patient):
    # What the released record shows is cached under the record's version; the education
    # pages (their "new" marks change as they are read) are read on every request.
    key = ("portal", patient.pk, datetime.date.today(), scan_intervals())
    key += epochs.of_patient(patient.pk)
    reading, records, upcoming = fragments.parts(
        request,
        "osteoclinic/_portal_reading.html",
        key=(*key, record_version(patient, whole=True)),
        context=lambda: _reading_context(patient),
    )
    context = {
        "patient": patient,
        "education": list(_attachments(patient)),
        "reading_part": reading,
        "records_part": records,
        "next_part": upcoming,
    }
    return render(request, "osteoclinic/portal_home.html", context)


def _reading_context(patient) -> dict:
    records = _released(patient)
    latest = records["reading"].latest
    changes = []
    if latest is not None:
        for row in latest.changes:
            text = plain.change_sentence(
                row.measurement.site_label, row.previous, row.previous_date
            )
            if text:
                changes.append(text)
    # Premenopausal women and men under 50 are read on Z-scores (docs/clinical-rules.md §2): their
    # page shows Z-scores, and a Z-score chart instead of T-scores against the WHO bands.
    charts = chart_panels(records, "portal:chart")
    z_basis = charts[0]["kind"] == "zscore"
    # A newer scan not yet released means the patient has just been scanned: not "overdue".
    newer_scan_pending = latest is not None and (
        DexaScan.objects.valid().filter(patient=patient, date__gt=latest.scan.date).exists()
    )
    return {
        **records,
        "latest": latest,
        "z_basis": z_basis,
        "newer_scan_pending": newer_scan_pending,
        "result": plain.result_sentence(latest.diagnosis) if latest else None,
        "changes": changes,
        "charts": charts,
    }


def _attachments(patient):
    """The pages attached to the patient now, published ones only, in the editors' order."""
    return (
        PatientEducation.objects.indicated()
        .filter(
            patient=patient, page__status=PageStatus.PUBLISHED, page__audience=Audience.PATIENTS
        )
        .select_related("page")
        .order_by("page__order", "page__title")
    )


@records_access(AccessAction.EDUCATION, PatientEducation)
@patient_required
def education_page(request, patient, pk):
    """One attached page; the first view is recorded for the clinician."""
    attachment = get_object_or_404(_attachments(patient), pk=pk)
    education_mark_viewed(attachment=attachment)
    return render(request, "osteoclinic/portal_education.html", {"attachment": attachment})


@records_access(AccessAction.CHART, None)
@patient_required
def chart(request, patient, kind):
    if kind not in trends.KINDS:
        raise Http404("No such chart.")
    return trends.patient_chart_response(request, patient, kind)


@records_access(AccessAction.DIARY, None)
@patient_required
@once_per_token
def symptoms(request, patient):
    reports = list(SymptomReport.objects.valid().filter(patient=patient)[:DIARY_LENGTH])
    form = SymptomReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():

        def save():
            report = form.save(commit=False)
            report.patient, report.source = patient, ReportSource.PATIENT
            report = symptom_report_record(report=report, user=request.user)
            if report.red_flags:
                contact = ClinicDetails.current().how_to_contact
                messages.error(request, f"{CONTACT_CLINIC_MESSAGE} {contact}")
            else:
                messages.success(request, "Thank you: your entry is saved.")
            return reverse("portal:symptoms")

        return redirect(submission_save(request, form=form, save=save))
    context = {
        "patient": patient,
        "reports": reports,
        "form": form,
        "pain_points": len(reports) >= 2,
        "red_flag_messages": {flag.code: flag.message for flag in RED_FLAGS},
    }
    return render(request, "osteoclinic/portal_symptoms.html", context)


@records_access(AccessAction.DIARY, None)
@patient_required
def pain_chart(request, patient):
    reports = SymptomReport.objects.valid().filter(patient=patient)[:DIARY_LENGTH]
    points = tuple(
        charts.Point(report.reported_at.date(), float(report.pain)) for report in reversed(reports)
    )
    return trends.svg_response(request, "pain", points, lambda: charts.pain_chart(points))


@records_access(AccessAction.PORTAL, None)
@patient_required
def access_log(request, patient):
    """Who has looked at my record: by person, day and what was seen; my own views apart."""
    others, own = patient_access_groups(patient, request.user)
    return render(request, "osteoclinic/portal_access_log.html", {"others": others, "own": own})


@records_access(AccessAction.MESSAGES, None)
@patient_required
@once_per_token
def messages_page(request, patient):
    """The patient's thread with the clinic: read it, and write to the clinic."""
    context, done = message_form_page(
        request,
        patient=patient,
        sender=MessageSender.PATIENT,
        location=reverse("portal:messages"),
        sent="Your message is sent to the clinic.",
    )
    if done:
        return redirect(done)
    return render(request, "osteoclinic/portal_messages.html", context)


@records_access(AccessAction.PORTAL, None)
@patient_required
def notifications_page(request, patient):
    """Which emails the patient receives."""
    preferences = preferences_of(patient)
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, instance=preferences
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            if not changed_since_opened(form):
                form.save()
                messages.success(request, "Your email choices are saved.")
                return redirect("portal:notifications")
    return render(request, "osteoclinic/portal_notifications.html", {"form": form})
