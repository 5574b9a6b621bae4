"""Workflows on scans: each in one transaction, each announcing the change to the record."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import import_string

from patients import epochs, notifications
from patients.concurrency import changed_since_opened, version_of
from patients.models import ClinicDetails, Patient, ReleaseRule
from patients.signals import announce_record_changed
from patients.submissions import TOKEN_FIELD

from .interpretation import load_records
from .models import (
    Device,
    DexaScan,
    FraxEntry,
    PatientStatus,
    PrecisionStudy,
    ScanStatus,
    VertebraMeasurement,
)
from .rules.basics import MINUS
from .rules.monitoring import Direction, precision_from_study


@transaction.atomic
def scan_save(
    *, patient: Patient, form, formset, vertebrae=None, warnings=(), user=None
) -> DexaScan | None:
    """Store a scan, its site measurements and vertebrae from validated forms, with the
    plausibility warnings the clinician checked against the report (docs/clinical-rules.md
    §13); None, with a message on the form, when someone else saved the scan since the form
    was opened."""
    if changed_since_opened(form, merge=False):
        return None
    scan = form.save(commit=False)
    scan.patient = patient
    # Ticking "checked against the report", or the form's one-time token, is not a change of
    # the scan's values.
    not_values = {"checked", TOKEN_FIELD}
    changed = any(name not in not_values for name in form.changed_data) or formset.has_changed()
    changed = changed or (vertebrae is not None and vertebrae.has_changed())
    if scan.status != ScanStatus.DRAFT and changed:
        # Changed values were not what was reviewed: the scan goes back to draft and leaves
        # the portal until a clinician reviews and releases it again.
        scan.status, scan.reviewed_by, scan.reviewed_at = ScanStatus.DRAFT, None, None
    if scan.pk is None or changed:
        scan.final_at = timezone.now()  # the clinic's release rule counts from here (§16.1)
    scan_record_check(
        scan=scan,
        warnings=list(warnings),
        user=user,
        ticked=form.cleaned_data.get("checked", False),
    )
    scan.save()
    formset.instance = scan
    formset.save()
    if vertebrae is not None:
        vertebrae_store(scan=scan, entered=vertebrae.values())
    if scan.status != ScanStatus.RELEASED and ClinicDetails.current().release_rule == (
        ReleaseRule.AT_ONCE
    ):
        scan_release(scan=scan)
    announce_record_changed(DexaScan, patient)
    return scan


def scan_record_check(*, scan: DexaScan, warnings: list[str], user, ticked: bool) -> None:
    """Keep on the scan which warnings were checked against the report, by whom and when."""
    if not warnings:
        scan.checked_warnings, scan.checked_by, scan.checked_at = [], "", None
    elif not ticked and warnings != scan.checked_warnings:
        # §13: a flagged result is never stored unconfirmed, whichever way it came in.
        raise ValueError("Flagged results must be checked against the report before saving.")
    elif ticked:
        scan.checked_warnings = warnings
        scan.checked_by = user.get_username() if user is not None else ""
        scan.checked_at = timezone.now()


def vertebrae_store(*, scan: DexaScan, entered: dict[int, dict]) -> None:
    """Make the scan's vertebra rows those entered (a cleared row's values stay in history)."""
    stored = {row.level: row for row in scan.vertebrae.all()}
    for level, values in entered.items():
        row = stored.pop(level, None) or VertebraMeasurement(scan=scan, level=level)
        if row.pk is None or any(getattr(row, k) != v for k, v in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row.save()
    for row in stored.values():
        row.delete()


@transaction.atomic
def scan_review(
    *,
    scan: DexaScan,
    user,
    release: bool,
    patient_note: str | None = None,
    opened: str | None = None,
) -> DexaScan | None:
    """Mark a scan reviewed by `user`, with its note for the patient when given, and released
    to the portal when asked. None when `opened` (the scan's version the reviewer saw on its
    review page) is no longer the stored one: what is released is what was reviewed."""
    current = DexaScan.objects.select_for_update().get(pk=scan.pk)
    if opened is not None and opened != version_of(current):
        return None
    if scan.reviewed_by_id is None or scan.status == ScanStatus.DRAFT:
        scan.reviewed_by = user
        scan.reviewed_at = timezone.now()
    if patient_note is not None:
        scan.patient_note = patient_note
    if release:
        scan.save(update_fields=["reviewed_by", "reviewed_at", "patient_note", "updated_at"])
        scan_release(scan=scan)
    else:
        scan.status = ScanStatus.REVIEWED
        scan.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "patient_note", "updated_at"]
        )
    announce_record_changed(DexaScan, scan.patient)
    return scan


@transaction.atomic
def scan_release(*, scan: DexaScan) -> DexaScan:
    """Release a scan's results to the portal: the one place a scan is released, by a
    clinician's review or by the clinic's release rule (docs/clinical-rules.md §16.1). The
    patient is told by email that a result is ready (patients.notifications)."""
    if scan.status == ScanStatus.RELEASED:
        return scan
    scan.status = ScanStatus.RELEASED
    scan.release_held_reason, scan.release_held_by, scan.release_held_at = "", "", None
    scan.save(
        update_fields=[
            "status",
            "release_held_reason",
            "release_held_by",
            "release_held_at",
            "updated_at",
        ]
    )
    notifications.result_released(patient=scan.patient)
    # What else a release sets off (results sent out: settings.SCAN_RELEASE_HOOKS), in this
    # transaction, so it happens only if the release is committed.
    for hook in settings.SCAN_RELEASE_HOOKS:
        import_string(hook)(scan=scan)
    if scan.corrects_id is not None:
        # The corrected result takes the place of the released one it corrects.
        corrected = DexaScan.objects.select_for_update().get(pk=scan.corrects_id)
        if not corrected.entered_in_error:
            corrected.mark_entered_in_error(
                f"Replaced by the corrected result released on {timezone.localdate():%Y-%m-%d}."
            )
    announce_record_changed(DexaScan, scan.patient)
    return scan


@transaction.atomic
def scan_hold(*, scan: DexaScan, user, reason: str) -> DexaScan:
    """Keep a scan out of the clinic's timed release until a clinician releases it."""
    scan.release_held_reason = reason.strip()[:300]
    scan.release_held_by = user.get_username()
    scan.release_held_at = timezone.now()
    scan.save(
        update_fields=["release_held_reason", "release_held_by", "release_held_at", "updated_at"]
    )
    announce_record_changed(DexaScan, scan.patient)
    return scan


def release_due(*, now) -> list[DexaScan]:
    """Release the scans the clinic's rule says are due by `now`: under "at once", every final
    scan not yet released (imports of new results among them); under "days after final", those
    final for that many days that no clinician holds. Under "after review", none."""
    clinic = ClinicDetails.current()
    if clinic.release_rule == ReleaseRule.REVIEW:
        return []
    waiting = DexaScan.objects.valid().exclude(status=ScanStatus.RELEASED)
    if clinic.release_rule == ReleaseRule.AFTER_DAYS:
        cutoff = now - datetime.timedelta(days=clinic.release_after_days)
        waiting = waiting.filter(release_held_at__isnull=True).filter(
            Q(final_at__lte=cutoff) | Q(final_at__isnull=True, created_at__lte=cutoff)
        )
    released = []
    for scan in waiting.select_related("patient").order_by("pk"):
        released.append(scan_release(scan=scan))
    return released


@transaction.atomic
def scan_mark_entered_in_error(*, scan: DexaScan, reason: str) -> DexaScan:
    """Take a mistaken scan out of interpretation; it stays in history."""
    scan.mark_entered_in_error(reason)
    announce_record_changed(DexaScan, scan.patient)
    return scan


@transaction.atomic
def device_save(*, form) -> Device | None:
    """Save a scanner; when its move date changes, its patients are read again
    (docs/clinical-rules.md §3: studies from before a move no longer set the LSC of later
    scans). None, with a message on the form, when someone else changed the same field since
    the form was opened."""
    if changed_since_opened(form):
        return None
    moved = "moved_on" in form.changed_data
    device = form.save()
    if moved:
        _announce_device_patients(device, Device)
    return device


def _announce_device_patients(device, sender) -> None:
    for patient in Patient.objects.filter(scans__device=device).distinct():
        announce_record_changed(sender, patient)


@transaction.atomic
def precision_study_record(*, device, site: str, day, groups, user=None) -> PrecisionStudy:
    """Store a precision study with its computed RMS-SD, LSC and %CV (docs/clinical-rules.md §4)."""
    result = precision_from_study(groups)
    study = PrecisionStudy.objects.create(
        device=device,
        site=site,
        date=day,
        values=[list(group) for group in groups],
        patients=result.patients,
        degrees_of_freedom=result.degrees_of_freedom,
        rms_sd=Decimal(f"{result.rms_sd:.4f}"),
        lsc=Decimal(f"{result.lsc:.4f}"),
        cv_percent=Decimal(f"{result.cv_percent:.2f}"),
        created_by=user,
    )
    # Every patient scanned on this device is read against the new LSC from its date on.
    _announce_device_patients(device, PrecisionStudy)
    return study


@transaction.atomic
def frax_record(*, patient: Patient, form) -> FraxEntry:
    entry = form.save(commit=False)
    entry.patient = patient
    entry.save()
    announce_record_changed(FraxEntry, patient)
    return entry


@transaction.atomic
def frax_mark_entered_in_error(*, entry: FraxEntry, reason: str) -> FraxEntry:
    entry.mark_entered_in_error(reason)
    announce_record_changed(FraxEntry, entry.patient)
    return entry


def status_refresh(*, patient: Patient) -> PatientStatus:
    """Rebuild the stored summary of a patient's reading from their records."""
    return status_refresh_many(patients=[patient])[0]


STATUS_FIELDS = [
    "category",
    "category_label",
    "summary",
    "latest_scan",
    "latest_scan_date",
    "significant_loss",
    "loss_summary",
    "treatment_indicated",
    "treatment_reasons",
    "on_treatment",
    "review_response",
    "response_reasons",
    "next_due",
    "updated_at",
]


def status_refresh_many(*, patients, batch: int = 500) -> list[PatientStatus]:
    """Rebuild the stored readings of many patients, a batch at a time (bulk import)."""
    patients = list(patients)
    statuses = []
    for start in range(0, len(patients), batch):
        # A stored reading keeps the latest scan's: the earlier ones need no reading of their own.
        records = load_records(patients[start : start + batch], latest_only=True)
        chunk = [_status_from(record["patient"], record["reading"]) for record in records.values()]
        PatientStatus.objects.bulk_create(
            chunk, update_conflicts=True, unique_fields=["patient"], update_fields=STATUS_FIELDS
        )
        # A bulk write sends no signal: the cached parts' counters are moved on here.
        epochs.bump_after_commit(epochs.CLINIC, *(epochs.patient(s.patient_id) for s in chunk))
        statuses.extend(chunk)
    return statuses


def _status_from(patient: Patient, reading) -> PatientStatus:
    latest = reading.latest
    diagnosis = latest.diagnosis if latest else None
    losses = [
        f"{change.measurement.site_label}: {change_text(change)}"
        for change in (latest.changes if latest else ())
        if any(
            c is not None and c.direction == Direction.LOSS
            for c in (change.previous, change.baseline)
        )
    ]
    treatment, response = reading.treatment, reading.response
    return PatientStatus(
        patient=patient,
        category=str(diagnosis.category) if diagnosis else "",
        category_label=diagnosis.label if diagnosis else "",
        summary=diagnosis.summary if diagnosis else "",
        latest_scan=latest.scan if latest else None,
        latest_scan_date=latest.scan.date if latest else None,
        significant_loss=bool(losses),
        loss_summary="; ".join(losses)[:300],
        treatment_indicated=bool(treatment and treatment.consider),
        treatment_reasons=" ".join(treatment.reasons)[:500] if treatment else "",
        on_treatment=reading.on_treatment,
        review_response=bool(response and response.review),
        response_reasons=" ".join(response.reasons)[:500] if response else "",
        next_due=reading.next_due,
        updated_at=timezone.now(),
    )


def change_text(change) -> str:
    """The loss of one site in a few words: "−8.3% since 2022-06-14"."""
    chosen = change.baseline if change.baseline is not None else change.previous
    since = change.baseline_date if change.baseline is not None else change.previous_date
    if chosen is not None and chosen.direction != Direction.LOSS:
        chosen, since = change.previous, change.previous_date
    percent = f"{chosen.percent:+.1f}%".replace("-", MINUS)
    return f"{percent} since {since:%Y-%m-%d}"
