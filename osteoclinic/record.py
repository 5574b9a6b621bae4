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
from scans import charts, plain, trends
from scans.interpretation import load_record, record_version, scan_intervals
from scans.models import DexaScan, FraxEntry, PatientStatus, ScanStatus, Site

from . import fragments, worklist

RECENT_REPORTS = 10
RECENT_MESSAGES = 5
SITE_ORDER = {code: index for index, (code, _label) in enumerate(Site.choices)}


def page_context(request, patient: Patient) -> dict:
    """The record page: its reading and education panel as parts cached under the versions of
    the records they show (the reading also under the settings it reads); the portal card and
    the symptom reports read on every request."""
    today = datetime.date.today()

    def key(*version) -> tuple:
        return ("record", patient.pk, today, epochs.of_patient(patient.pk), *version)

    reading = fragments.part(
        request,
        "osteoclinic/_patient_record.html",
        key=lambda: key(scan_intervals(), record_version(patient, whole=True)),
        context=lambda: reading_context(patient),
    )
    education = fragments.part(
        request,
        "education/_record_panel.html",
        key=lambda: key(panel_version(patient)),
        context=lambda: {"patient": patient, **record_panel_context(patient)},
    )
    return {
        "part": reading,
        "education_part": education,
        **action_context(patient, datetime.date.today()),
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


def action_context(patient: Patient, today: datetime.date) -> dict:
    """What needs doing now for this patient, for the top of the record (read on every view):
    red flags not acknowledged (most urgent first), scans waiting for review or release, a
    vertebral fracture in its first weeks, and an overdue scan. Four queries."""
    red_flags = list(
        SymptomReport.objects.unacknowledged_red_flags()
        .filter(patient=patient)
        .select_related("patient")
        .most_urgent_first()
    )
    waiting = list(
        DexaScan.objects.valid()
        .filter(patient=patient)
        .exclude(status=ScanStatus.RELEASED)
        .order_by("date", "pk")
    )
    fractures = [
        {"fracture": fracture, "phase": worklist.vertebral_phase(fracture, today)}
        for fracture in worklist.recent_vertebral(today).filter(patient=patient)
    ]
    status = PatientStatus.objects.filter(patient=patient).only("next_due").first()
    overdue = status.next_due if status and status.next_due and status.next_due < today else None
    return {
        "action_red_flags": red_flags,
        "action_waiting_scans": waiting,
        "action_fractures": fractures,
        "action_overdue": overdue,
        "action_any": bool(red_flags or waiting or fractures or overdue),
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
    """The portal account, caregivers and symptom reports (the education panel has its own
    context)."""
    context = {"patient": patient}
    context["symptom_reports"] = list(
        SymptomReport.objects.valid()
        .filter(patient=patient)
        .select_related("acknowledged_by", "entered_by")[:RECENT_REPORTS]
    )
    context["caregiver_grants"] = list(
        patient.caregiver_grants.select_related("caregiver").order_by("revoked_at", "-created_at")
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


def chart_panels(records: dict, url_name: str, *url_args, words: bool = False) -> list[dict]:
    """The record's two trend charts (its diagnostic score and BMD): where to fetch each SVG
    in each size, a sentence of the trend for its text alternative, and the table of the same
    numbers. `words`: the patient's, naming sites in everyday words with the term after."""
    names = site_names(records["reading"].readings) if words else {}
    panels = []
    for kind in trends.shown_kinds(records["patient"], records["reading"]):
        inputs = trends.chart_inputs(
            kind,
            records["reading"].readings,
            records["fractures"],
            records["treatments"],
            records["studies"],
            words=words,
        )
        url = reverse(url_name, args=[*url_args, kind])
        rows = trends.chart_table(kind, inputs)
        for row in rows:
            row["series"] = names.get(row["series"], row["series"])
        panels.append(
            {
                "kind": kind,
                "title": CHART_TITLES[kind],
                "url": url,
                "narrow_url": f"{url}?size={charts.NARROW.name}",
                "large_url": f"{url}?size={charts.LARGE.name}",
                "wide": charts.WIDE,
                "narrow": charts.NARROW,
                "has_trend": charts.has_trend(inputs["series"]),
                "summary": trends.trend_summary(kind, inputs, names),
                "rows": rows,
                "bands": [
                    {"band": band, "series": names.get(band.series_label, band.series_label)}
                    for band in inputs.get("bands", ())
                ],
                "value_label": VALUE_LABELS[kind],
                "empty": (
                    "No Z-score is recorded yet, so there is no trend to show."
                    if kind == "zscore" and records["reading"].readings
                    else "No scans yet, so there is no trend to show."
                ),
            }
        )
    return panels


def site_names(readings) -> dict[str, str]:
    """Each site's everyday name on the patient's charts, with the technical term after it."""
    return {
        plain.site_short(m.site, m.side): plain.site_words(m.site, m.side)
        for reading in readings
        for m in (change.measurement for change in reading.changes)
    }


def errors_count(patient: Patient) -> int:
    """How many of the patient's records are marked entered in error, in one query."""
    marked = [
        model.objects.filter(patient=patient, entered_in_error=True).order_by().values("pk")
        for model in (Fracture, HeightMeasurement, Treatment, DexaScan, FraxEntry)
    ]
    return marked[0].union(*marked[1:], all=True).count()
