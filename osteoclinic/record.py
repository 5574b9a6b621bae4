"""The patient record page's data, gathered in a fixed number of queries."""

import datetime

from django.urls import reverse

from education.panel import panel_version, record_panel_context
from liaison.models import Episode
from patients import epochs
from patients.models import (
    Fracture,
    HeightMeasurement,
    Patient,
    SecureMessage,
    SymptomReport,
    Treatment,
)
from scans import charts, trends
from scans.interpretation import load_record, record_version, scan_intervals
from scans.models import DexaScan, FraxEntry, Site

from . import fragments

RECENT_REPORTS = 10
RECENT_MESSAGES = 5
SITE_ORDER = {code: index for index, (code, _label) in enumerate(Site.choices)}


def page_context(request, patient: Patient) -> dict:
    """The record page: its reading and education panel as parts cached under the versions of
    the records they show (the reading also under the settings it reads); the portal card and
    the symptom reports read on every request."""
    key = ("record", patient.pk, datetime.date.today(), epochs.of_patient(patient.pk))
    reading = fragments.part(
        request,
        "osteoclinic/_patient_record.html",
        key=(*key, scan_intervals(), record_version(patient, whole=True)),
        context=lambda: reading_context(patient),
    )
    education = fragments.part(
        request,
        "education/_record_panel.html",
        key=(*key, panel_version(patient)),
        context=lambda: {"patient": patient, **record_panel_context(patient)},
    )
    return {
        "part": reading,
        "education_part": education,
        "fls_episodes": list(
            Episode.objects.valid().filter(patient=patient).select_related("fracture")
        ),
        "recent_messages": list(
            SecureMessage.objects.filter(patient=patient).order_by("-sent_at", "-pk")[
                :RECENT_MESSAGES
            ]
        ),
        **activity_context(patient),
    }


def record_context(patient: Patient) -> dict:
    """Everything the clinician's record page shows for one patient."""
    return {
        **reading_context(patient),
        **record_panel_context(patient),
        **activity_context(patient),
    }


def reading_context(patient: Patient) -> dict:
    """The patient's details, scans, reading, charts, fractures, heights, treatments and how many
    of them are in error: what `record_version(patient, whole=True)` versions."""
    context = load_record(patient)
    context["scan_rows"] = measurement_rows(context["scans"])
    context["charts"] = chart_panels(context, "scans:chart", patient.pk)
    context["height_loss"] = context["reading"].height
    context["errors_count"] = errors_count(patient)
    return context


def activity_context(patient: Patient) -> dict:
    """The portal account and symptom reports (the education panel has its own context)."""
    context = {"patient": patient}
    context["symptom_reports"] = list(
        SymptomReport.objects.valid()
        .filter(patient=patient)
        .select_related("acknowledged_by")[:RECENT_REPORTS]
    )
    return context


def measurement_rows(scans) -> list[dict]:
    """One row per site measurement: newest scan first, report order within a scan."""
    rows = []
    for scan in scans:
        ordered = sorted(scan.measured, key=lambda m: (SITE_ORDER[m.site], m.side))
        for index, measurement in enumerate(ordered):
            rows.append({"scan": scan, "m": measurement, "first": index == 0, "span": len(ordered)})
    return rows


CHART_TITLES = {
    "tscore": "T-score over time",
    "zscore": "Z-score over time",
    "bmd": "Bone density (BMD) over time",
}


VALUE_LABELS = {"tscore": "T-score", "zscore": "Z-score", "bmd": "BMD (g/cm²)"}


def chart_panels(records: dict, url_name: str, *url_args) -> list[dict]:
    """The record's two trend charts (its diagnostic score and BMD): where to fetch each SVG,
    and the table of the same numbers."""
    panels = []
    for kind in trends.shown_kinds(records["patient"], records["reading"]):
        inputs = trends.chart_inputs(
            kind,
            records["reading"].readings,
            records["fractures"],
            records["treatments"],
            records["studies"],
        )
        panels.append(
            {
                "kind": kind,
                "title": CHART_TITLES[kind],
                "url": reverse(url_name, args=[*url_args, kind]),
                "has_trend": charts.has_trend(inputs["series"]),
                "rows": trends.chart_table(kind, inputs),
                "bands": inputs.get("bands", ()),
                "value_label": VALUE_LABELS[kind],
                "empty": (
                    "No Z-score is recorded yet, so there is no trend to show."
                    if kind == "zscore" and records["reading"].readings
                    else "No scans yet, so there is no trend to show."
                ),
            }
        )
    return panels


def errors_count(patient: Patient) -> int:
    """How many of the patient's records are marked entered in error, in one query."""
    marked = [
        model.objects.filter(patient=patient, entered_in_error=True).order_by().values("pk")
        for model in (Fracture, HeightMeasurement, Treatment, DexaScan, FraxEntry)
    ]
    return marked[0].union(*marked[1:], all=True).count()
