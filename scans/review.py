"""The review before a scan is released: what the clinician checks, and what releasing changes.

A scan not yet released never feeds the patient's reading (docs/clinical-rules.md §16). Its
review page shows its values, the checks of its numbers, its own reading against the released
scans, and the reading the patient's record will have once it is released: the release is a
decision taken on that page, never a click from a list.
"""

import datetime
from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError

from patients.concurrency import version_of

from . import entry
from .interpretation import PatientReading, ScanReading, read_patient
from .models import DexaScan, Site


@dataclass(frozen=True)
class Check:
    """One result of checking a scan's numbers, shown on its review page before release:
    `source` is what raised it (the reading, the plausibility checks of docs/clinical-rules.md
    §13); a plausibility warning someone checked against the printed report says who and when."""

    source: str
    text: str
    checked_by: str = ""
    checked_at: datetime.datetime | None = None

    @property
    def checked(self) -> bool:
        return bool(self.checked_by or self.checked_at)


def release_checks(
    reading: ScanReading | None,
    *,
    plausibility: tuple[str, ...] | list[str] = (),
    scan: DexaScan | None = None,
) -> tuple[Check, ...]:
    """Everything the reviewer must look at before releasing: the warnings of the scan's own
    reading (a hip T-score that does not fit its BMD, the vertebrae used), the plausibility
    warnings its results raise now, and the warnings stored on `scan` as checked against the
    report — with who checked them and when — including any the checks no longer raise.

    The one place the review page takes its checks from: further checks of entered numbers
    are added here, each with the name of what raised it.
    """
    checks = [Check(source="reading", text=text) for text in reading.warnings] if reading else []
    stored = list(scan.checked_warnings) if scan is not None else []
    by = scan.checked_by if scan is not None else ""
    at = scan.checked_at if scan is not None else None
    for text in plausibility:
        if text in stored:
            checks.append(Check("plausibility", text, checked_by=by, checked_at=at))
        else:
            checks.append(Check("plausibility", text))
    checks += [
        Check("plausibility", text, checked_by=by, checked_at=at)
        for text in stored
        if text not in plausibility
    ]
    return tuple(checks)


def plausibility_warnings(scan: DexaScan, loaded: DexaScan) -> list[str]:
    """The plausibility warnings the scan's stored results raise now, against the scanner's
    other released results and the patient's earlier released scans (docs/clinical-rules.md
    §13). `loaded` is the scan as `interpretation.load_record` loaded it."""
    results = [
        entry.Entered(m.site, m.side, m.bmd, m.t_score)
        for m in loaded.measured
        if m.bmd is not None and m.t_score is not None
    ]
    if not results:
        return []
    return entry.scan_warnings(
        patient=scan.patient,
        device=loaded.device,
        date=scan.date,
        results=results,
        scan_id=scan.pk,
    )


@dataclass(frozen=True)
class Effect:
    """One line of "what releasing changes": the record's reading now, and after release."""

    label: str
    now: str
    after: str

    @property
    def changed(self) -> bool:
        return self.now != self.after


def _diagnosis(reading: PatientReading) -> str:
    latest = reading.latest
    if latest is None:
        return "No released scan"
    if latest.diagnosis is None:
        return "No diagnostic site"
    return latest.diagnosis.summary


def _loss(reading: PatientReading) -> str:
    return "Yes" if reading.latest is not None and reading.latest.significant_loss else "No"


def _treatment(reading: PatientReading) -> str:
    if reading.treatment is None:
        return "—"
    return "Consider treatment" if reading.treatment.consider else "No threshold met"


def _next_due(reading: PatientReading) -> str:
    return f"{reading.next_due:%Y-%m-%d}" if reading.next_due else "—"


def _latest(reading: PatientReading) -> str:
    return f"{reading.latest.scan.date:%Y-%m-%d}" if reading.latest else "—"


def release_effects(record: dict, scan: DexaScan) -> tuple[Effect, ...]:
    """The patient's reading now and as it will be once `scan` is released, line by line.

    `record` is `interpretation.load_record` of the scan's patient (every valid scan loaded).
    """
    released = [s for s in record["scans"] if s.is_released and s.pk != scan.pk]
    mine = next(s for s in record["scans"] if s.pk == scan.pk)
    after = read_patient(
        record["patient"],
        scans=[*released, mine],
        fractures=record["fractures"],
        treatments=record["treatments"],
        heights=record["heights"],
        frax_entries=record["frax_entries"],
        studies=record["studies"],
    )
    now = record["reading"]
    return tuple(
        Effect(label, describe(now), describe(after))
        for label, describe in (
            ("Latest released scan", _latest),
            ("Diagnosis", _diagnosis),
            ("Significant loss on the latest scan", _loss),
            ("Treatment consideration", _treatment),
            ("Next scan due", _next_due),
        )
    )


def compared_later(record: dict, scan: DexaScan) -> list[DexaScan]:
    """Released scans after this one: once it is released, their change since the previous
    scan is measured against it."""
    return sorted(
        (
            s
            for s in record["scans"]
            if s.is_released and s.pk != scan.pk and (s.date, s.pk) > (scan.date, scan.pk)
        ),
        key=lambda s: (s.date, s.pk),
    )


def reading_of(record: dict, scan: DexaScan) -> ScanReading | None:
    """The scan's own reading: in the record's reading when released, else its draft reading."""
    readings = record["reading"].readings if scan.is_released else record["drafts"]
    return next((r for r in readings if r.scan.pk == scan.pk), None)


def review_context(record: dict, scan: DexaScan) -> dict:
    """What the review page shows of `scan`, from `interpretation.load_record` of its patient."""
    reading = reading_of(record, scan)
    loaded = next(s for s in record["scans"] if s.pk == scan.pk)
    order = list(Site.values)
    return {
        "scan": scan,
        "patient": scan.patient,
        "measurements": sorted(loaded.measured, key=lambda m: (order.index(m.site), m.side)),
        "scan_reading": reading,
        "checks": release_checks(
            reading, plausibility=plausibility_warnings(scan, loaded), scan=scan
        ),
        "effects": () if scan.is_released else release_effects(record, scan),
        "compared_later": compared_later(record, scan),
    }


class ReleaseForm(forms.Form):
    """The decision on a scan's review page; `opened` is the scan's version shown there."""

    RELEASE, REVIEW = "release", "review"

    patient_note = forms.CharField(
        label="Note for the patient (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown beside this result in the patient's portal once it is released, "
        "e.g. what the result means for them or what happens next.",
    )
    opened = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[(RELEASE, "Release"), (REVIEW, "Mark reviewed")])

    def __init__(self, *args, scan: DexaScan, **kwargs):
        kwargs.setdefault(
            "initial", {"patient_note": scan.patient_note, "opened": version_of(scan)}
        )
        super().__init__(*args, **kwargs)
        self.fields["opened"].error_messages["required"] = (
            "Open the scan's review page and release it from there, after checking it."
        )

    def clean_patient_note(self):
        return self.cleaned_data["patient_note"].strip()

    def stale(self) -> None:
        """Say on the form that the scan changed since the page was opened."""
        self.add_error(
            None,
            ValidationError(
                "This scan was changed since you opened this page: nothing was released. "
                "Check its values and reading below, then decide again.",
                code="stale",
            ),
        )


class HoldForm(forms.Form):
    """Keep a scan from the clinic's timed release (docs/clinical-rules.md §16.1), with why."""

    HOLD = "hold"

    reason = forms.CharField(
        label="Why hold this result",
        max_length=300,
        help_text="For example: to talk the result through with the patient first.",
        error_messages={"required": "Say why the result is held."},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why the result is held.")
        return reason
