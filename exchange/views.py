"""Clinician pages for the CSV import (upload → dry-run preview → confirm) and the exports.

The upload is stored in the database and its dry run and import run as tasks in a worker
(exchange.import_jobs); the page follows them, refreshing itself, and never holds the file.
"""

import re

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.views.decorators.http import require_POST

from patients.access import clinician_required, patient_for_request
from patients.audit import log_access_many, records_access
from patients.models import AccessAction
from scans.interpretation import record_version
from scans.models import ImportJob, ImportStage

from . import exporters, fhir, import_jobs
from .csv_import.columns import (
    COLUMNS,
    DATE_FORMATS,
    MANUFACTURER_ALIASES,
    REQUIRED_COLUMNS,
    SITE_ALIASES,
    ImportFileError,
    template_csv,
)
from .csv_import.plan import Counts
from .csv_import.reading import decode, parse_file

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# The upload's request checks the header and this many lines; a worker checks every row.
HEAD_LINES = 50


def max_upload_bytes() -> int:
    """The largest file the import accepts: settings.SCAN_IMPORT_MAX_BYTES, 10 MB by default."""
    return getattr(settings, "SCAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def _head(text: str, lines: int = HEAD_LINES) -> str:
    end = -1
    for _ in range(lines):
        end = text.find("\n", end + 1)
        if end == -1:
            return text
    return text[: end + 1]


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV or XLSX file",
        help_text="CSV: UTF-8, comma- or semicolon-separated. XLSX: the first sheet is read, and "
        "dates kept as dates are read as YYYY-MM-DD. One row per site measurement.",
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".csv,text/csv,.xlsx,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )
    date_format = forms.ChoiceField(
        label="Dates in the file are written",
        choices=[("iso", "YYYY-MM-DD (2024-03-01)"), ("dmy", "DD/MM/YYYY (01/03/2024)")],
        initial="iso",
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size > limit:
            raise ValidationError(
                f"The file is {filesizeformat(upload.size)}; the limit is "
                f"{filesizeformat(limit)}. Split it into smaller files and import each.",
                code="too_large",
            )
        try:
            self.text = decode(upload.read())
        except ImportFileError as error:
            raise ValidationError(str(error), code="unreadable") from None
        return upload

    def clean(self):
        cleaned = super().clean()
        # File-level problems (no header, broken CSV) belong on this page, not on the preview;
        # the request reads only the file's first lines, the dry run in a worker reads the rest.
        if hasattr(self, "text") and cleaned.get("date_format"):
            try:
                parse_file(_head(self.text), date_format=cleaned["date_format"])
            except ImportFileError as error:
                self.add_error("file", ValidationError(str(error), code="unreadable"))
        return cleaned


class ImportResultsForm(forms.Form):
    """Whether a file holds new results or past results already reported: asked each time."""

    NEW, PAST = "new", "past"

    results = forms.ChoiceField(
        label="What results does this file hold?",
        choices=[
            (
                NEW,
                "New results, not yet reviewed: import the scans as drafts; each is reviewed "
                "and released on its own page.",
            ),
            (
                PAST,
                "Past results already reported to the patients: import the scans as "
                "released, recorded as decided by you now.",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the file holds new results (imported as drafts) or "
            "past results already reported (imported as released)."
        },
    )


def _ticked(request) -> set[int]:
    """The flagged rows the clinician ticked as checked against the report."""
    return {int(value) for value in request.POST.getlist("checked") if value.isdigit()}


def _safe_stem(filename: str) -> str:
    stem = re.sub(r"\.csv$", "", filename, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60] or "import"


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _job_for(request, pk) -> ImportJob:
    """An import is its uploader's (and superusers'); anyone else gets 404."""
    jobs = ImportJob.objects.select_related("created_by", "confirmed_by")
    if not request.user.is_superuser:
        jobs = jobs.filter(created_by=request.user)
    return get_object_or_404(jobs, pk=pk)


@clinician_required
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = import_jobs.import_job_create(
            text=form.text,
            filename=upload.name,
            size=upload.size,
            date_format=form.cleaned_data["date_format"],
            user=request.user,
        )
        return redirect(job)
    context = {
        "form": form,
        "max_bytes": max_upload_bytes(),
        "columns": COLUMNS,
        "required": REQUIRED_COLUMNS,
        "site_aliases": SITE_ALIASES,
        "manufacturer_aliases": MANUFACTURER_ALIASES,
    }
    return render(request, "exchange/import_upload.html", context)


@clinician_required
def import_template(request):
    return _csv_response(template_csv(), "osteoclinic-scan-import-template.csv")


@clinician_required
def import_job(request, pk):
    """The upload's page: progress while a task runs, then the preview, the result or why not."""
    return _job_page(request, _job_for(request, pk), ImportResultsForm())


def _job_page(request, job: ImportJob, results_form: ImportResultsForm):
    context = {
        "job": job,
        "date_format_label": DATE_FORMATS.get(job.date_format, job.date_format),
        "failure": job.error if job.stage == ImportStage.FAILED else import_jobs.task_failure(job),
        "results_form": results_form,
        "past_results": import_jobs.past_results(job),
        "flagged": job.flagged or [],
        # Ticks given with a confirm that is shown again (no answer to the question) stay.
        "ticked": _ticked(request) if request.method == "POST" else set(),
    }
    if job.counts is not None:
        context["counts"] = Counts(**job.counts)
        context["problems"] = import_jobs.problems_of(job)
        context["problems_hidden"] = max(0, job.problems_total - len(job.problems))
    if context["failure"]:
        return render(request, "exchange/import_failed.html", context)
    if job.stage in (ImportStage.CHECKING, ImportStage.IMPORTING):
        context["task_state"] = import_jobs.task_state(job)
        context["percent"] = import_jobs.percent_done(job)
        return render(request, "exchange/import_progress.html", context)
    if job.stage == ImportStage.IMPORTED:
        return render(request, "exchange/import_result.html", context)
    if job.stage == ImportStage.DISCARDED:
        messages.info(request, "That file was discarded; nothing was imported.")
        return redirect("exchange:import")
    return render(request, "exchange/import_preview.html", context)


@require_POST
@clinician_required
def import_confirm(request, pk):
    job = _job_for(request, pk)
    form = ImportResultsForm(request.POST)
    if job.stage == ImportStage.CHECKED and not form.is_valid():
        return _job_page(request, job, form)
    past = form.is_valid() and form.cleaned_data["results"] == ImportResultsForm.PAST
    if not import_jobs.import_job_confirm(
        job=job,
        user=request.user,
        options={"past_results": past, "ticked": sorted(_ticked(request))},
    ):
        messages.error(
            request,
            "This file is not waiting for a confirmation (it is being imported, was imported "
            "or was discarded): nothing more was imported.",
        )
    return redirect(job)


@clinician_required
def import_rejects(request, pk):
    job = _job_for(request, pk)
    if not job.rejects:
        messages.info(request, "This file has no rejected rows.")
        return redirect(job)
    filename = f"{_safe_stem(job.filename)}-rejected.csv"
    return _csv_response(import_jobs.unpack(job.rejects), filename)


@require_POST
@clinician_required
def import_cancel(request, pk):
    job = _job_for(request, pk)
    if import_jobs.import_job_discard(job=job):
        messages.info(request, "The uploaded file was discarded; nothing was imported.")
        return redirect("exchange:import")
    messages.error(request, "This file is being imported or was imported: it cannot be discarded.")
    return redirect(job)


@clinician_required
def export_csv(request):
    # The whole clinic's export is every patient's: each one's access log says so, written
    # as their lines are sent. A HEAD request sends no file, so it is answered without one.
    def before_sending(patient_ids):
        log_access_many(request, patient_ids, AccessAction.EXPORT)

    if request.method == "HEAD":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(
            exporters.clinic_csv_lines(before_sending), content_type="text/csv; charset=utf-8"
        )
    filename = f"osteoclinic-scans-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@records_access(AccessAction.EXPORT)
@clinician_required
def export_patient_csv(request, pk):
    patient = patient_for_request(request, pk)
    return _csv_response(exporters.patient_csv(patient), f"{_safe_stem(patient.mrn)}-scans.csv")


@records_access(AccessAction.EXPORT)
@clinician_required
def export_fhir(request, pk):
    patient = patient_for_request(request, pk)
    body = fhir.bundle_text(patient, version=lambda: record_version(patient, whole=True))
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe_stem(patient.mrn)}-fhir.json"'
    response["Cache-Control"] = "no-store"
    return response
