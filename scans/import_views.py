"""Clinician pages for the CSV import (upload → dry-run preview → confirm) and the exports.

Between preview and confirm the decoded file is kept in the user's session, compressed, under a
random token; the server parses it again on confirm and never trusts the browser with it. The
session lives in the database, so any app server can answer the confirm.
"""

import base64
import re
import secrets
import zlib

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_POST

from patients.access import clinician_required, patient_for_request
from patients.audit import log_access_many, records_access
from patients.models import AccessAction

from . import exporters, fhir, importers
from .interpretation import record_version

SESSION_KEY = "scans_import"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A preview lists this many rejected rows; the rejected-rows file always holds all of them.
PROBLEMS_SHOWN = 1000


def max_upload_bytes() -> int:
    """The largest file the import accepts: settings.SCAN_IMPORT_MAX_BYTES, 10 MB by default."""
    return getattr(settings, "SCAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma- or semicolon-separated, one row per site measurement.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
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
            self.text = importers.decode(upload.read())
        except importers.ImportFileError as error:
            raise ValidationError(str(error), code="unreadable") from None
        return upload

    def clean(self):
        cleaned = super().clean()
        # File-level problems (no header, broken CSV) belong on this page, not on the preview.
        if hasattr(self, "text") and cleaned.get("date_format"):
            try:
                importers.parse_file(self.text, date_format=cleaned["date_format"])
            except importers.ImportFileError as error:
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


def _store(request, *, text: str, filename: str, size: int, date_format: str) -> None:
    packed = base64.b64encode(zlib.compress(text.encode("utf-8"), 6)).decode("ascii")
    request.session[SESSION_KEY] = {
        "token": secrets.token_urlsafe(24),
        "text": packed,
        "filename": filename[:200],
        "size": size,
        "date_format": date_format,
        "uploaded_at": timezone.now().isoformat(),
        "result": None,
    }


def _pending(request) -> dict | None:
    pending = request.session.get(SESSION_KEY)
    if not isinstance(pending, dict) or "text" not in pending:
        return None
    return pending


def _text(pending: dict) -> str:
    return zlib.decompress(base64.b64decode(pending["text"])).decode("utf-8")


def _preview(pending: dict) -> importers.ImportPlan:
    return importers.import_preview(text=_text(pending), date_format=pending["date_format"])


def _safe_stem(filename: str) -> str:
    stem = re.sub(r"\.csv$", "", filename, flags=re.IGNORECASE)
    return re.sub(r"[^A-Za-z0-9._-]+", "_", stem)[:60] or "import"


def _csv_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _nothing_pending(request):
    messages.info(request, "Upload a CSV file to see what its import would do.")
    return redirect("scans:import")


@clinician_required
def import_upload(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        _store(
            request,
            text=form.text,
            filename=upload.name,
            size=upload.size,
            date_format=form.cleaned_data["date_format"],
        )
        return redirect("scans:import_preview")
    context = {
        "form": form,
        "max_bytes": max_upload_bytes(),
        "columns": importers.COLUMNS,
        "required": importers.REQUIRED_COLUMNS,
        "site_aliases": importers.SITE_ALIASES,
        "manufacturer_aliases": importers.MANUFACTURER_ALIASES,
    }
    return render(request, "scans/import_upload.html", context)


@clinician_required
def import_template(request):
    return _csv_response(importers.template_csv(), "osteoclinic-scan-import-template.csv")


@clinician_required
def import_preview(request):
    pending = _pending(request)
    if pending is None:
        return _nothing_pending(request)
    if pending["result"] is not None:
        return render(request, "scans/import_result.html", {"pending": pending})
    return _preview_page(request, pending, ImportResultsForm())


def _preview_page(request, pending: dict, form: ImportResultsForm):
    plan = _preview(pending)
    problems = plan.problems
    context = {
        "pending": pending,
        "plan": plan,
        "counts": plan.counts,
        "problems": problems[:PROBLEMS_SHOWN],
        "problems_hidden": max(0, len(problems) - PROBLEMS_SHOWN),
        "blank_rows": plan.parsed.lines - plan.parsed.total,
        "date_format_label": importers.DATE_FORMATS[pending["date_format"]],
        "results_form": form,
    }
    return render(request, "scans/import_preview.html", context)


@require_POST
@clinician_required
def import_confirm(request):
    pending = _pending(request)
    if pending is None:
        return _nothing_pending(request)
    if pending["result"] is not None or not constant_time_compare(
        request.POST.get("token", ""), pending["token"]
    ):
        messages.error(
            request,
            "That preview is no longer the current one (another file was uploaded, or it was "
            "imported already): nothing was imported. Check the page below.",
        )
        return redirect("scans:import_preview")
    form = ImportResultsForm(request.POST)
    if not form.is_valid():
        return _preview_page(request, pending, form)
    past = form.cleaned_data["results"] == ImportResultsForm.PAST
    try:
        plan = importers.import_commit(
            text=_text(pending),
            date_format=pending["date_format"],
            user=request.user,
            source=pending["filename"],
            past_results=past,
        )
    except IntegrityError:
        # Someone saved the same scans between the preview and this commit: all rolled back.
        messages.error(
            request,
            "The same records changed while the import ran, so nothing was imported. "
            "Check the preview again and confirm.",
        )
        return redirect("scans:import_preview")
    pending["result"] = plan.counts.as_dict()
    pending["imported_at"] = timezone.now().isoformat()
    pending["past_results"] = past
    pending["decided_by"] = request.user.get_username()
    request.session.modified = True
    counts = plan.counts
    messages.success(
        request,
        f"Imported {counts.new_measurements:,} measurement"
        f"{'s' if counts.new_measurements != 1 else ''} as "
        + ("released past results." if past else "draft scans."),
    )
    return redirect("scans:import_preview")


@clinician_required
def import_rejects(request):
    pending = _pending(request)
    if pending is None:
        return _nothing_pending(request)
    plan = _preview(pending)
    filename = f"{_safe_stem(pending['filename'])}-rejected.csv"
    return _csv_response(importers.rejects_csv(plan), filename)


@require_POST
@clinician_required
def import_cancel(request):
    if request.session.pop(SESSION_KEY, None) is not None:
        messages.info(request, "The uploaded file was discarded; nothing was imported.")
    return redirect("scans:import")


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
    body = fhir.bundle_text(patient, version=record_version(patient, whole=True))
    response = HttpResponse(body, content_type="application/fhir+json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_safe_stem(patient.mrn)}-fhir.json"'
    response["Cache-Control"] = "no-store"
    return response
