"""The patient portal: a patient's own results, charts, education and diary.

Every view gets the patient from `patient_required` — the signed-in patient, or the patient a
caregiver helps under an active grant — never from the URL, and reads released scans only.
"""

import datetime

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from education.models import Audience, EducationPage, PageStatus, PatientEducation
from education.services import education_mark_viewed
from patients import epochs
from patients.access import patient_required, refuse_on_behalf
from patients.access_report import patient_visits
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
from patients.symptoms import CONTACT_CLINIC_MESSAGE, RED_FLAGS, seek_help_reasons
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
    today = datetime.date.today()
    reading, records, upcoming = fragments.parts(
        request,
        "osteoclinic/_portal_reading.html",
        key=lambda: (
            ("portal", patient.pk, today, scan_intervals())
            + epochs.of_patient(patient.pk)
            + (record_version(patient, whole=True),)
        ),
        context=lambda: _reading_context(patient),
    )
    context = {
        "patient": patient,
        "education": list(_attachments(patient)),
        "seek_help": seek_help_reasons(sex=patient.sex),
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
            where = plain.site_words(row.measurement.site, row.measurement.side)
            text = plain.change_sentence(where, row.previous, row.previous_date)
            if text:
                changes.append(text)
    # Premenopausal women and men under 50 are read on Z-scores (docs/clinical-rules.md §2): their
    # page shows Z-scores, and a Z-score chart instead of T-scores against the WHO bands.
    charts = chart_panels(records, "portal:chart", words=True)
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
        "result_rows": [
            {
                "where": plain.site_words(row.measurement.site, row.measurement.side),
                "measurement": row.measurement,
            }
            for row in (latest.changes if latest else ())
        ],
        "charts": charts,
        "words": True,
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


def reader_of(patient) -> str | None:
    """Which readers' parts of a page are this patient's (docs/clinical-rules.md §11.4)."""
    return {"female": "women", "male": "men"}.get(patient.sex)


def page_links_for(patient):
    """A page link's address for this patient: their own page (with its reason) when it was
    chosen for them, otherwise the page on its own."""
    attached = dict(_attachments(patient).values_list("page__slug", "pk"))
    published = set(EducationPage.objects.for_patients().values_list("slug", flat=True))

    def link_for(slug: str) -> str | None:
        if slug in attached:
            return reverse("portal:education", args=[attached[slug]])
        return reverse("portal:page", args=[slug]) if slug in published else None

    return link_for


def _page_context(patient, page, **extra) -> dict:
    return {
        "patient": patient,
        "page": page,
        "body": page.body_for(reader=reader_of(patient), link_for=page_links_for(patient)),
        "seek_help": seek_help_reasons(sex=patient.sex),
        **extra,
    }


@records_access(AccessAction.EDUCATION, PatientEducation)
@patient_required
def education_page(request, patient, pk):
    """One attached page; the patient's opening is recorded (for the clinician, and the "new"
    mark). A caregiver's views are in the access log and do not mark the page read."""
    attachment = get_object_or_404(_attachments(patient), pk=pk)
    if not request.portal_subject.on_behalf:
        education_mark_viewed(attachment=attachment)
    context = _page_context(patient, attachment.page, reason=attachment.reason)
    return render(request, "osteoclinic/portal_education.html", context)


@records_access(AccessAction.EDUCATION, None)
@patient_required
def library_page(request, patient, slug):
    """A published page that another page links to, though it was not chosen for the patient.
    It shows nothing of their record, but it is a view of their portal (a caregiver's banner
    names the patient), so it is logged like the others."""
    page = get_object_or_404(EducationPage.objects.for_patients(), slug=slug)
    return render(request, "osteoclinic/portal_education.html", _page_context(patient, page))


@records_access(AccessAction.CHART, None)
@patient_required
def chart(request, patient, kind):
    if kind not in trends.KINDS:
        raise Http404("No such chart.")
    return trends.patient_chart_response(request, patient, kind, words=True)


@records_access(AccessAction.DIARY, None)
@patient_required
@once_per_token
def symptoms(request, patient):
    reports = list(
        SymptomReport.objects.valid()
        .filter(patient=patient)
        .select_related("entered_by")[:DIARY_LENGTH]
    )
    on_behalf = request.portal_subject.on_behalf
    form = SymptomReportForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():

        def save():
            report = form.save(commit=False)
            # An entry a caregiver makes is theirs, marked as made on the patient's behalf.
            source = ReportSource.CAREGIVER if on_behalf else ReportSource.PATIENT
            report.patient, report.source = patient, source
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
        "on_behalf": on_behalf,
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
    """Who has looked at my record: one row per person and day, with what they saw.

    The patient's alone: it names the people who looked, a caregiver among them.
    """
    refuse_on_behalf(request)
    visits = patient_visits(patient, request.user)
    return render(request, "osteoclinic/portal_access_log.html", {"visits": visits})


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
    """Which emails the patient receives: the patient's own choice (not a caregiver's)."""
    refuse_on_behalf(request)
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
