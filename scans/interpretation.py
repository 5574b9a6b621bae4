"""Turns a patient's stored scans into the densitometrist's reading, via scans.rules.

The functions here take records already loaded (the caller decides the queries, so a page
stays at a fixed query count) and hand plain values to the rules in scans/rules/.
"""

import datetime
import functools
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import F, Prefetch

from patients.models import (
    Detection,
    Fracture,
    FractureSite,
    HeightMeasurement,
    Mechanism,
    Patient,
    Treatment,
)
from patients.stature import Height, height_loss
from patients.versions import column, newest, read, select, table

from .models import Device, DexaScan, FraxEntry, PatientStatus, PrecisionStudy, SiteMeasurement
from .rules.basics import Manufacturer, Menopause, Sex, Site, long_date
from .rules.diagnosis import Basis, Diagnosis, Measurement, diagnose, lowest_t_score
from .rules.follow_up import (
    Event,
    ScanIntervals,
    TreatmentResponse,
    next_scan_due,
    treatment_response,
)
from .rules.fractures import Detection as RuleDetection
from .rules.fractures import VfaIndication, fracture_documented, vfa_indication
from .rules.monitoring import Change, Direction, Precision, ScanPoint, compare, default_precision
from .rules.references import t_score_consistency_warning
from .rules.spine import spine_vertebrae_warning
from .rules.thresholds import TreatmentConsideration, frax_context, treatment_consideration


@dataclass(frozen=True)
class SiteChange:
    """One line of the change table: a site of a scan against the previous and the first."""

    measurement: SiteMeasurement
    previous_date: datetime.date | None
    previous: Change | None
    baseline_date: datetime.date | None
    baseline: Change | None
    precision: Precision


@dataclass(frozen=True)
class ScanReading:
    scan: DexaScan
    age: int
    diagnosis: Diagnosis | None
    changes: tuple[SiteChange, ...]
    warnings: tuple[str, ...]

    @property
    def significant_loss(self) -> bool:
        return any(
            change.previous is not None and change.previous.direction == Direction.LOSS
            for change in self.changes
        ) or any(
            change.baseline is not None and change.baseline.direction == Direction.LOSS
            for change in self.changes
        )


@dataclass(frozen=True)
class PatientReading:
    latest: ScanReading | None
    readings: tuple[ScanReading, ...]
    treatment: TreatmentConsideration | None
    vfa: VfaIndication | None
    next_due: datetime.date | None
    frax: FraxEntry | None
    on_treatment: bool
    height: object = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # How the FRAX entry stands against the scans (docs/clinical-rules.md §8.2).
    frax_labels: tuple[str, ...] = ()
    # On treatment: the response, judged instead of the thresholds (docs/clinical-rules.md §8.3).
    response: TreatmentResponse | None = None

    @property
    def overdue(self) -> bool:
        return self.next_due is not None and self.next_due < datetime.date.today()


def scan_intervals() -> ScanIntervals:
    """The clinic's repeat-scan intervals (docs/clinical-rules.md §8: a setting)."""
    return ScanIntervals(
        untreated_months=settings.SCAN_INTERVAL_UNTREATED_MONTHS,
        on_treatment_months=settings.SCAN_INTERVAL_ON_TREATMENT_MONTHS,
        glucocorticoid_months=settings.SCAN_INTERVAL_GLUCOCORTICOID_MONTHS,
    )


def measured() -> Prefetch:
    """Each scan's measurements as a plain list, `scan.measured`.

    A prefetch into the related manager builds a queryset for every scan: that was a third of
    rebuilding the stored readings of thousands of patients. Within a scan they come by site and
    side; the model's own order (by scan, so by the scan's date) would join every scan to sort.
    """
    return Prefetch(
        "measurements",
        queryset=SiteMeasurement.objects.order_by("site", "side"),
        to_attr="measured",
    )


def load_precision_studies(device_ids) -> dict[tuple[int, str], list[PrecisionStudy]]:
    """Every precision study of these devices, newest first per device and site (one query)."""
    studies: dict[tuple[int, str], list[PrecisionStudy]] = {}
    found = (
        PrecisionStudy.objects.filter(device_id__in=set(device_ids))
        .annotate(device_moved_on=F("device__moved_on"))
        .order_by("-date")
    )
    for study in found:
        studies.setdefault((study.device_id, study.site), []).append(study)
    return studies


def study_holds(
    study_date: datetime.date, moved_on: datetime.date | None, day: datetime.date
) -> bool:
    """Whether a precision study sets the LSC of a scan on `day`: made by then, and not before
    a move of the scanner that came by then (docs/clinical-rules.md §3: a move means a new
    precision assessment)."""
    return study_date <= day and not (moved_on is not None and study_date < moved_on <= day)


def precision_for(studies, device_id: int, site: str, day: datetime.date) -> Precision:
    """The newest study that holds on `day` for that device and site (`studies` newest first),
    else the ISCD default (docs/clinical-rules.md §4)."""
    for study in studies.get((device_id, site), []):
        if study_holds(study.date, study.device_moved_on, day):
            return Precision(
                rms_sd=float(study.rms_sd),
                lsc=float(study.lsc),
                cv_percent=float(study.cv_percent),
                lsc_percent=None,
                measured=True,
                patients=study.patients,
                degrees_of_freedom=study.degrees_of_freedom,
            )
    return default_precision(Site(site))


def _measurement(m: SiteMeasurement) -> Measurement:
    return Measurement(
        site=Site(m.site),
        side=m.side,
        bmd=float(m.bmd),
        t_score=float(m.t_score),
        z_score=None if m.z_score is None else float(m.z_score),
        vertebrae=m.vertebrae,
    )


def _point(scan: DexaScan, m: SiteMeasurement) -> ScanPoint:
    return ScanPoint(
        date=scan.date,
        bmd=float(m.bmd),
        manufacturer=Manufacturer(scan.device.manufacturer),
        device_id=scan.device_id,
    )


def _warnings(scan: DexaScan) -> list[str]:
    warnings = []
    for m in scan.measured:
        if m.site == Site.LUMBAR_SPINE and (text := spine_vertebrae_warning(m.vertebrae)):
            warnings.append(text)
        text = t_score_consistency_warning(
            Site(m.site),
            float(m.bmd),
            float(m.t_score),
            manufacturer=Manufacturer(scan.device.manufacturer),
        )
        if text:
            warnings.append(f"{m.site_label}: {text}")
    return warnings


def read_scans(
    patient: Patient,
    scans: list[DexaScan],
    fractures: list[Fracture],
    studies,
    *,
    latest_only: bool = False,
) -> list[ScanReading]:
    """A reading of every scan (or, with `latest_only`, of the latest one, still compared with
    the previous and the first); `scans` oldest first, with device and `measured` loaded."""
    readings = []
    history: dict[tuple[str, str], list[tuple[DexaScan, SiteMeasurement]]] = {}
    for index, scan in enumerate(scans):
        latest = index == len(scans) - 1
        if latest_only and not latest:
            for m in scan.measured:
                history.setdefault((m.site, m.side), []).append((scan, m))
            continue
        age = patient.age_on(scan.date)
        # docs/clinical-rules.md §1 and §1.1: "severe" needs a documented fragility fracture. A
        # past scan is read with the fractures known by its date; the latest one with every
        # fracture known now.
        fragile = any(
            _documented_fragility(f) and (latest or f.date <= scan.date) for f in fractures
        )
        measurements = scan.measured
        diagnosis = diagnose(
            [_measurement(m) for m in measurements],
            sex=Sex(patient.sex),
            age=age,
            menopause=Menopause(patient.menopause),
            fragility_fracture=fragile,
            radius_indicated=patient.forearm_indicated,
        )
        changes = []
        for m in sorted(measurements, key=lambda m: (list(Site).index(Site(m.site)), m.side)):
            earlier = history.setdefault((m.site, m.side), [])
            precision = precision_for(studies, scan.device_id, m.site, scan.date)
            previous = baseline = None
            if earlier:
                here = _point(scan, m)
                previous = compare(
                    _point(*earlier[-1]), here, site=Site(m.site), precision=precision
                )
                if len(earlier) > 1:
                    baseline = compare(
                        _point(*earlier[0]), here, site=Site(m.site), precision=precision
                    )
            changes.append(
                SiteChange(
                    measurement=m,
                    previous_date=earlier[-1][0].date if earlier else None,
                    previous=previous,
                    baseline_date=earlier[0][0].date if len(earlier) > 1 else None,
                    baseline=baseline,
                    precision=precision,
                )
            )
            earlier.append((scan, m))
        readings.append(
            ScanReading(
                scan=scan,
                age=age,
                diagnosis=diagnosis,
                changes=tuple(changes),
                warnings=tuple(_warnings(scan)),
            )
        )
    return readings


def read_drafts(
    patient: Patient, scans: list[DexaScan], fractures: list[Fracture], studies
) -> tuple[ScanReading, ...]:
    """Each scan not yet released, read on its own against the released scans before it.

    docs/clinical-rules.md §16: a result no clinician has released is not yet a result. It is
    never the previous or first scan of another's change; its own changes are against the
    released scans only. `scans` with device and `measured` loaded, in any order.
    """
    scans = sorted(scans, key=lambda s: (s.date, s.pk))
    released = [scan for scan in scans if scan.is_released]
    newest = (released[-1].date, released[-1].pk) if released else None
    readings = []
    for draft in scans:
        if draft.is_released:
            continue
        place = (draft.date, draft.pk)
        before = [scan for scan in released if (scan.date, scan.pk) < place]
        # Read as the latest scan when it is the newest; otherwise with the fractures of its day.
        known = fractures
        if newest is not None and place < newest:
            known = [f for f in fractures if f.date <= draft.date]
        readings.append(read_scans(patient, [*before, draft], known, studies, latest_only=True)[-1])
    return tuple(readings)


def _documented(fracture: Fracture) -> bool:
    return fracture_documented(RuleDetection(fracture.detection))


def _documented_fragility(fracture: Fracture) -> bool:
    return fracture.is_fragility and _documented(fracture)


def _unconfirmed_vertebral(fracture: Fracture) -> bool:
    return fracture.site == FractureSite.VERTEBRAL and fracture.detection == Detection.SELF_REPORTED


def therapy_start(treatments: list[Treatment], today: datetime.date) -> datetime.date | None:
    """When the bone therapy the patient is on today began (the earliest start among the
    courses running today); None when not on treatment."""
    starts = [
        t.start
        for t in treatments
        if t.is_bone_therapy and t.start <= today and (t.stop is None or t.stop >= today)
    ]
    return min(starts, default=None)


def _response(
    latest: ScanReading,
    scans: list[DexaScan],
    fractures: list[Fracture],
    studies,
    *,
    start: datetime.date,
    today: datetime.date,
) -> TreatmentResponse:
    """The response to treatment from the latest scan and the fractures (docs/clinical-rules.md
    §8.3): a loss against the previous scan or the last scan before treatment began, a new
    documented fragility fracture."""
    losses = []
    scan = latest.scan
    before = [s for s in scans if s.date <= start and s.pk != scan.pk]
    treatment_baseline = before[-1] if before else None
    for row in latest.changes:
        m = row.measurement
        place = _measurement(m).place
        if row.previous is not None and row.previous.direction == Direction.LOSS:
            since = long_date(row.previous_date)
            losses.append(Event(scan.date, f"significant loss at the {place} since {since}"))
            continue
        if treatment_baseline is None or treatment_baseline.date == row.previous_date:
            continue
        earlier = next(
            (e for e in treatment_baseline.measured if (e.site, e.side) == (m.site, m.side)),
            None,
        )
        if earlier is None:
            continue
        change = compare(
            _point(treatment_baseline, earlier),
            _point(scan, m),
            site=Site(m.site),
            precision=precision_for(studies, scan.device_id, m.site, scan.date),
        )
        if change.direction == Direction.LOSS:
            losses.append(
                Event(
                    scan.date,
                    f"significant loss at the {place} since "
                    f"{long_date(treatment_baseline.date)}, the last scan before treatment",
                )
            )
    fractures_on_treatment = [
        Event(f.date, f"new fragility fracture ({f.site_label})")
        for f in fractures
        if _documented_fragility(f)
    ]
    return treatment_response(
        therapy_start=start,
        today=today,
        significant_losses=losses,
        fragility_fractures=fractures_on_treatment,
    )


def read_patient(
    patient: Patient,
    *,
    scans: list[DexaScan],
    fractures: list[Fracture],
    treatments: list[Treatment],
    heights: list[HeightMeasurement],
    frax_entries: list[FraxEntry],
    studies,
    today: datetime.date | None = None,
    latest_only: bool = False,
) -> PatientReading:
    """The whole reading of a patient's record: diagnosis, change, prompts, next scan; with
    `latest_only`, `readings` holds the latest scan's alone (what a stored reading keeps)."""
    today = today or datetime.date.today()
    scans = sorted(scans, key=lambda s: (s.date, s.pk))
    readings = read_scans(patient, scans, fractures, studies, latest_only=latest_only)
    latest = readings[-1] if readings else None
    start = therapy_start(treatments, today)
    on_treatment = start is not None
    frax = max(frax_entries, key=lambda f: f.date, default=None)
    released = [s for s in scans if s.is_released]
    frax_labels = ()
    if frax is not None:
        frax_labels = frax_context(
            frax_date=frax.date,
            with_bmd=frax.with_bmd,
            latest_scan_date=released[-1].date if released else None,
            femoral_neck_bmd_on_record=any(
                m.site == Site.FEMORAL_NECK for s in released for m in s.measured
            ),
        )
    stature = height_loss([Height(h.date, float(h.cm), h.measured) for h in heights])
    # docs/clinical-rules.md §7: glucocorticoids count for VFA at ≥ 5 mg/day for ≥ 3 months.
    steroid_dose = patient.glucocorticoid_dose_mg
    vfa_steroids = patient.glucocorticoids and steroid_dose is not None and steroid_dose >= 5
    # docs/clinical-rules.md §1.1: a self-reported vertebral fracture no imaging documents calls
    # for VFA (§7.1) before it counts as the vertebral fracture of the treatment thresholds (§8).
    unconfirmed = [f for f in fractures if _unconfirmed_vertebral(f)]
    treatment = vfa = next_due = response = None
    if latest is not None:
        # docs/clinical-rules.md §1.1: only a documented fracture sets the fracture threshold.
        hip_or_spine_fracture = any(
            f.site in (FractureSite.HIP, FractureSite.VERTEBRAL)
            and f.mechanism != Mechanism.HIGH_TRAUMA
            and _documented(f)
            for f in fractures
        )
        diagnosis = latest.diagnosis
        basis = diagnosis.basis if diagnosis is not None else Basis.T_SCORE
        measurements = [_measurement(m) for m in latest.scan.measured]
        treatment = treatment_consideration(
            hip_or_vertebral_fracture=hip_or_spine_fracture,
            measurements=measurements if diagnosis is not None else (),
            frax_major=None if frax is None else float(frax.major_osteoporotic),
            frax_hip=None if frax is None else float(frax.hip),
            unconfirmed_vertebral_fracture=bool(unconfirmed),
            basis=basis,
            frax_labels=frax_labels,
        )
        if start is not None:
            response = _response(latest, scans, fractures, studies, start=start, today=today)
        vfa = vfa_indication(
            # docs/clinical-rules.md §7.2: VFA rests on T < −1.0 whatever the basis of the
            # diagnosis.
            lowest_t=lowest_t_score(measurements, radius_indicated=patient.forearm_indicated),
            sex=Sex(patient.sex),
            age=patient.age_on(today),
            historical_height_loss_cm=stature.historical_loss_cm,
            prospective_height_loss_cm=stature.prospective_loss_cm,
            self_reported_vertebral_fracture=bool(unconfirmed),
            glucocorticoids=vfa_steroids,
            glucocorticoid_dose_unknown=patient.glucocorticoids and steroid_dose is None,
            diagnosis_on_z_scores=basis == Basis.Z_SCORE,
        )
        next_due = next_scan_due(
            latest.scan.date,
            on_treatment=on_treatment,
            glucocorticoids=patient.glucocorticoids,
            intervals=scan_intervals(),
        )
    return PatientReading(
        latest=latest,
        readings=tuple(readings),
        treatment=treatment,
        vfa=vfa,
        next_due=next_due,
        frax=frax,
        on_treatment=on_treatment,
        height=stature if heights else None,
        frax_labels=frax_labels,
        response=response,
    )


def load_records(
    patients, *, released_only: bool = False, latest_only: bool = False
) -> dict[int, dict]:
    """Each patient's valid clinical records and their reading, keyed by patient id.

    A fixed number of queries however many patients: one per kind of record. `latest_only`
    reads the latest scan alone (see read_patient). The reading is of released scans only;
    `drafts` holds each other scan's own reading (read_drafts), none with `latest_only`.
    """
    patients = {patient.pk: patient for patient in patients}
    ids = list(patients)
    scans = DexaScan.objects.valid().filter(patient_id__in=ids)
    if released_only:
        scans = scans.released()
    scans = scans.select_related("device", "reviewed_by").prefetch_related(measured())
    records = {
        pk: {
            "patient": patient,
            "scans": [],
            "fractures": [],
            "heights": [],
            "treatments": [],
            "frax_entries": [],
        }
        for pk, patient in patients.items()
    }
    kinds = (
        ("scans", scans),
        ("fractures", Fracture.objects.valid().filter(patient_id__in=ids)),
        ("heights", HeightMeasurement.objects.valid().filter(patient_id__in=ids)),
        ("treatments", Treatment.objects.valid().filter(patient_id__in=ids)),
        ("frax_entries", FraxEntry.objects.valid().filter(patient_id__in=ids)),
    )
    for name, queryset in kinds:
        for item in queryset:
            records[item.patient_id][name].append(item)
    studies = load_precision_studies(
        {scan.device_id for record in records.values() for scan in record["scans"]}
    )
    for pk, record in records.items():
        record["studies"] = studies
        record["reading"] = read_patient(
            patients[pk],
            scans=[scan for scan in record["scans"] if scan.is_released],
            fractures=record["fractures"],
            treatments=record["treatments"],
            heights=record["heights"],
            frax_entries=record["frax_entries"],
            studies=studies,
            latest_only=latest_only,
        )
        if not latest_only:
            record["drafts"] = read_drafts(
                patients[pk], record["scans"], record["fractures"], studies
            )
        else:
            record["drafts"] = ()
    return records


def load_record(patient: Patient, *, released_only: bool = False) -> dict:
    """One patient's valid clinical records and their reading, in a fixed number of queries."""
    return load_records([patient], released_only=released_only)[patient.pk]


def load_scan_readings(patient: Patient) -> dict:
    """What the trend charts and the FHIR export show: each released scan's reading,
    fractures, treatments and precision studies; without heights or FRAX, which only the whole
    reading needs (five queries)."""
    scans = DexaScan.objects.released().filter(patient=patient)
    scans = sorted(
        scans.select_related("device").prefetch_related(measured()),
        key=lambda s: (s.date, s.pk),
    )
    fractures = list(Fracture.objects.valid().filter(patient=patient))
    studies = load_precision_studies({scan.device_id for scan in scans})
    return {
        "readings": read_scans(patient, scans, fractures, studies),
        "fractures": fractures,
        "treatments": list(Treatment.objects.valid().filter(patient=patient)),
        "studies": studies,
    }


def record_version(patient: Patient, *, whole: bool = False) -> tuple:
    """Marks that change whenever a record a chart draws changes, read in one query; with
    `whole`, whenever anything the patient's reading shows changes (the patient's details,
    heights and FRAX entries too).

    Every save and delete through the ORM (services, admin, shell) writes a history row, so the
    newest history row (its id and time) of the patient's scans, their measurements, fractures
    and treatments, and of all devices and precision studies, moves on with each change; a
    record moved to another patient counts for both, as the history of every row that was ever
    theirs is read.
    The stored reading's time covers changes announced without history (bulk writes followed
    by `status_refresh`). Not seen: queryset.update() and raw SQL that no refresh follows.
    """
    sql, uses = _record_version_sql(connection.vendor, whole)
    return read(sql, [patient.pk] * uses)


@functools.cache
def _record_version_sql(vendor: str, whole: bool) -> tuple[str, int]:
    def patient(model) -> str:
        return f"{column(model, 'patient')} = %s"

    def ever_theirs(model) -> str:
        history = model.history.model
        ids = f"SELECT {column(history, 'id')} FROM {table(history)} WHERE {patient(history)}"
        return f" WHERE {column(history, 'id')} IN ({ids})"

    scans, measurements = DexaScan.history.model, SiteMeasurement.history.model
    scan_ids = f"SELECT {column(scans, 'id')} FROM {table(scans)} WHERE {patient(scans)}"
    marks = [
        f"SELECT {column(PatientStatus, 'updated_at')} FROM {table(PatientStatus)} "
        f"WHERE {patient(PatientStatus)}",
        *newest(scans, ever_theirs(DexaScan)),
        *newest(measurements, f" WHERE {column(measurements, 'scan')} IN ({scan_ids})"),
        *newest(Fracture.history.model, ever_theirs(Fracture)),
        *newest(Treatment.history.model, ever_theirs(Treatment)),
        *newest(Device.history.model),
        *newest(PrecisionStudy.history.model),
    ]
    if whole:
        patients = Patient.history.model
        marks += [
            *newest(patients, f" WHERE {column(patients, 'id')} = %s"),
            *newest(HeightMeasurement.history.model, ever_theirs(HeightMeasurement)),
            *newest(FraxEntry.history.model, ever_theirs(FraxEntry)),
        ]
    return select(marks)
