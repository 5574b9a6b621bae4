"""Which records make up a patient's change history.

Every clinical record of a patient is in it: the apps to the right of `patients` (scans,
education) add theirs when they start, so `patients` never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from .models import (
    CaregiverGrant,
    Fracture,
    HeightMeasurement,
    NotificationPreferences,
    Patient,
    SecureMessage,
    SymptomReport,
    Treatment,
)


@dataclass(frozen=True)
class HistorySource:
    model: type
    lookup: str  # ties a history row to its patient: "patient_id", "scan__patient_id"
    related: tuple[str, ...] = ()  # what the label reads, fetched with the page's rows
    label: Callable | None = None  # version -> the record's name; str(version.instance) if None


HISTORY_SOURCES: dict[str, HistorySource] = {}


def history_source_register(kind: str, model, lookup: str, **options) -> None:
    """Add a kind of record to every patient's change history."""
    HISTORY_SOURCES[kind] = HistorySource(model, lookup, **options)


def record_label(kind: str, version) -> str:
    source = HISTORY_SOURCES[kind]
    return source.label(version) if source.label else str(version.instance)


history_source_register("patient", Patient, "id", label=lambda version: "Patient details")
history_source_register("fracture", Fracture, "patient_id")
history_source_register("height", HeightMeasurement, "patient_id")
history_source_register("treatment", Treatment, "patient_id")
history_source_register("symptom", SymptomReport, "patient_id")
history_source_register("caregiver", CaregiverGrant, "patient_id")
history_source_register("message", SecureMessage, "patient_id")
history_source_register(
    "notification", NotificationPreferences, "patient_id", label=lambda version: "Email choices"
)
