"""A made-up clinic of any size, for benchmarks and load tests (`manage.py generate_clinic`).

Every patient is drawn from its own random stream (seed and number), so a clinic is the same
whatever the batch size. Patients are scanned every 1–2 years at 3–4 sites; their BMD drifts
down, and stabilises or rises once a bone therapy starts. Hip T-scores are computed from the BMD
on the NHANES III reference (docs/clinical-rules.md §5), so no scan is flagged as a typing error.

Records are written with bulk_create in batches: no save(), no signals, no history rows. Each
patient's stored reading (scans.models.PatientStatus) is then built in bulk by
`statuses_build`, through `scans.services.status_refresh_many`: a few queries per 500
patients instead of ten per patient.
"""

import datetime
import random
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from liaison.models import Episode
from patients.access import CLINICIANS
from patients.models import (
    VERTEBRAL_LEVELS,
    DatePrecision,
    Detection,
    DrugClass,
    Fracture,
    FractureSite,
    HeightMeasurement,
    Mechanism,
    Menopause,
    Patient,
    ReportSource,
    Sex,
    SymptomReport,
    Treatment,
)
from scans.models import (
    Device,
    DexaScan,
    FraxEntry,
    PrecisionStudy,
    ScanStatus,
    SiteMeasurement,
)
from scans.rules.basics import Site, round_score
from scans.rules.references import REFERENCES, reference_t_score
from scans.services import precision_study_record, status_refresh_many

from . import generated_episodes
from .demo import duplicate_scans

MRN_PREFIX = "GEN-"
MRN_PATTERN = re.compile(r"^GEN-(\d+)$")
PATIENTS_PER_BATCH = 1000
STATUSES_PER_BATCH = 500
INSERT_BATCH = 2000

Progress = Callable[[str], None]

# (manufacturer, model, serial, location, share of patients). Only the Hologic scanners have a
# precision study, so the Lunar patients are judged against the ISCD default LSC
# (docs/clinical-rules.md §4).
DEVICES = (
    ("hologic", "Horizon A", "GEN-H-0001", "Main clinic", 0.55),
    ("hologic", "Horizon Wi", "GEN-H-0002", "Main clinic, room 2", 0.20),
    ("ge_lunar", "Prodigy", "GEN-GE-0001", "Outreach clinic", 0.25),
)
PRECISION_SITES = ("lumbar_spine", "femoral_neck", "total_hip")
PRECISION_DATE = datetime.date(2008, 1, 15)

# Young-adult means and SDs that turn a T-score into a BMD and back. The hips use the NHANES III
# reference of scans.rules.references; spine and radius are typical Hologic values (no reference is
# checked for them, docs/clinical-rules.md §5).
SPINE_MEAN, SPINE_SD = 1.047, 0.110
RADIUS_MEAN, RADIUS_SD = 0.690, 0.055
HIP_SITES = ("femoral_neck", "total_hip")
# Short-term precision (%CV) of a measurement, about that of the ISCD defaults.
NOISE_CV = {"lumbar_spine": 0.010, "femoral_neck": 0.015, "total_hip": 0.010, "radius_33": 0.012}

FAMILY = [
    "Abbott",
    "Achterberg",
    "Adeyemi",
    "Almeida",
    "Andersen",
    "Bakker",
    "Baptiste",
    "Bauer",
    "Bianchi",
    "Brennan",
    "Carvalho",
    "Chen",
    "Costa",
    "Dubois",
    "Duarte",
    "Eriksson",
    "Evans",
    "Fernández",
    "Fischer",
    "García",
    "Gallagher",
    "Haddad",
    "Hansen",
    "Hughes",
    "Ivanova",
    "Jansen",
    "Jensen",
    "Kaur",
    "Kelly",
    "Kowalski",
    "Larsen",
    "Lefebvre",
    "López",
    "Mahmoud",
    "Martin",
    "Meyer",
    "Moreau",
    "Murphy",
    "Nakamura",
    "Nowak",
    "O'Brien",
    "Okafor",
    "Olsen",
    "Patel",
    "Pereira",
    "Quinn",
    "Rossi",
    "Russo",
    "Sato",
    "Schmidt",
    "Silva",
    "Smith",
    "Suzuki",
    "Tanaka",
    "Thomas",
    "Novak",
    "Walsh",
    "Weber",
    "Wójcik",
    "Yilmaz",
    "Zhang",
]
GIVEN_F = [
    "Ada",
    "Agnes",
    "Alice",
    "Anna",
    "Barbara",
    "Beatriz",
    "Brigitte",
    "Carmen",
    "Clara",
    "Dorothy",
    "Edith",
    "Elena",
    "Elif",
    "Eva",
    "Fatima",
    "Grace",
    "Hanna",
    "Helen",
    "Ingrid",
    "Irene",
    "Joan",
    "Judith",
    "Kathleen",
    "Leila",
    "Linda",
    "Margaret",
    "Maria",
    "Marta",
    "Mei",
    "Nora",
    "Olga",
    "Patricia",
    "Rosa",
    "Ruth",
    "Sofia",
    "Susan",
    "Teresa",
    "Ursula",
    "Vera",
    "Yoko",
]
GIVEN_M = [
    "Ahmed",
    "Alan",
    "Bernard",
    "Carlos",
    "David",
    "Erik",
    "Frank",
    "George",
    "Hans",
    "Hiro",
    "Ivan",
    "John",
    "Jorge",
    "Karl",
    "Liam",
    "Luca",
    "Marek",
    "Mohamed",
    "Noah",
    "Omar",
    "Paul",
    "Peter",
    "Rafael",
    "Samuel",
    "Thomas",
    "Viktor",
    "Walter",
    "Yusuf",
]
OPERATORS = ("RT Ahmed", "RT Bell", "RT Costa", "RT Dunne", "RT Evans")

# Bone therapies a clinic starts after an osteoporotic result: (class, name, weight).
THERAPIES = (
    (DrugClass.BISPHOSPHONATE, "Alendronate 70 mg weekly", 40),
    (DrugClass.BISPHOSPHONATE, "Risedronate 35 mg weekly", 10),
    (DrugClass.BISPHOSPHONATE, "Zoledronic acid 5 mg yearly", 10),
    (DrugClass.DENOSUMAB, "Denosumab 60 mg six-monthly", 25),
    (DrugClass.ANABOLIC_PTH, "Teriparatide 20 µg daily", 5),
    (DrugClass.ROMOSOZUMAB, "Romosozumab 210 mg monthly", 3),
    (DrugClass.RALOXIFENE, "Raloxifene 60 mg daily", 7),
)
# Fracture sites of a bone clinic's population, most common first, with weights.
FRACTURE_SITES = (
    (FractureSite.WRIST, 30),
    (FractureSite.VERTEBRAL, 25),
    (FractureSite.HIP, 12),
    (FractureSite.HUMERUS, 12),
    (FractureSite.RIB, 10),
    (FractureSite.PELVIS, 5),
    (FractureSite.OTHER, 6),
)
# Most osteoporotic vertebral fractures are at the thoracolumbar junction.
LEVEL_WEIGHTS = dict.fromkeys(VERTEBRAL_LEVELS, 1) | {"T11": 4, "T12": 8, "L1": 8, "L2": 4}


@dataclass
class Summary:
    patients: int = 0
    scans: int = 0
    measurements: int = 0
    fractures: int = 0
    treatments: int = 0
    heights: int = 0
    symptom_reports: int = 0
    frax_entries: int = 0
    fls_episodes: int = 0
    first_mrn: str = ""
    last_mrn: str = ""
    write_seconds: float = 0.0
    status_seconds: float = 0.0
    patient_ids: list[int] = field(default_factory=list, repr=False)


@dataclass
class _Batch:
    patients: list = field(default_factory=list)
    scans: list = field(default_factory=list)
    measurements: list = field(default_factory=list)
    fractures: list = field(default_factory=list)
    treatments: list = field(default_factory=list)
    heights: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    frax: list = field(default_factory=list)
    episodes: list = field(default_factory=list)


def generated_mrn(number: int) -> str:
    # Normalised as Patient.save() would (upper case, no spaces): bulk_create does not call it.
    return f"{MRN_PREFIX}{number:06d}".strip().upper()


def next_mrn_number() -> int:
    """The number after the highest generated MRN, so that a second run adds new patients."""
    numbers = [
        int(match[1])
        for mrn in Patient.objects.filter(mrn__startswith=MRN_PREFIX).values_list("mrn", flat=True)
        if (match := MRN_PATTERN.match(mrn))
    ]
    return max(numbers, default=0) + 1


def clinic_generate(
    *,
    patients: int,
    seed: int = 0,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> Summary:
    """Write `patients` made-up patients with their records, then their stored readings."""
    if patients < 1:
        raise ValueError("The number of patients must be at least 1.")
    today = today or timezone.localdate()
    say = progress or (lambda text: None)
    devices = _devices()
    reviewer = User.objects.filter(groups__name=CLINICIANS).order_by("pk").first()
    first = next_mrn_number()
    summary = Summary(first_mrn=generated_mrn(first), last_mrn=generated_mrn(first + patients - 1))

    started = time.perf_counter()
    for start in range(0, patients, PATIENTS_PER_BATCH):
        stop = min(patients, start + PATIENTS_PER_BATCH)
        batch = _Batch()
        for index in range(start, stop):
            rng = random.Random(f"{seed}:{index}")
            _patient(batch, rng, generated_mrn(first + index), devices, reviewer, today)
        _write(batch, summary)
        say(
            f"Patients {stop:,}/{patients:,}: {summary.scans:,} scans, "
            f"{summary.measurements:,} measurements ({time.perf_counter() - started:.1f} s)"
        )
    summary.write_seconds = time.perf_counter() - started

    started = time.perf_counter()
    statuses_build(summary.patient_ids, progress=say)
    summary.status_seconds = time.perf_counter() - started
    return summary


@transaction.atomic
def _write(batch: _Batch, summary: Summary) -> None:
    Patient.objects.bulk_create(batch.patients, batch_size=INSERT_BATCH)
    # bulk_create sets the primary keys (PostgreSQL, SQLite 3.35+), which the children need.
    DexaScan.objects.bulk_create(batch.scans, batch_size=INSERT_BATCH)
    SiteMeasurement.objects.bulk_create(batch.measurements, batch_size=INSERT_BATCH)
    Fracture.objects.bulk_create(batch.fractures, batch_size=INSERT_BATCH)
    Treatment.objects.bulk_create(batch.treatments, batch_size=INSERT_BATCH)
    HeightMeasurement.objects.bulk_create(batch.heights, batch_size=INSERT_BATCH)
    SymptomReport.objects.bulk_create(batch.reports, batch_size=INSERT_BATCH)
    FraxEntry.objects.bulk_create(batch.frax, batch_size=INSERT_BATCH)
    Episode.objects.bulk_create(batch.episodes, batch_size=INSERT_BATCH)
    summary.patients += len(batch.patients)
    summary.scans += len(batch.scans)
    summary.measurements += len(batch.measurements)
    summary.fractures += len(batch.fractures)
    summary.treatments += len(batch.treatments)
    summary.heights += len(batch.heights)
    summary.symptom_reports += len(batch.reports)
    summary.frax_entries += len(batch.frax)
    summary.fls_episodes += len(batch.episodes)
    summary.patient_ids.extend(patient.pk for patient in batch.patients)


@transaction.atomic
def _devices() -> list[tuple[Device, float]]:
    """The generated clinic's scanners (shared by every run), with precision studies."""
    devices = []
    for manufacturer, model, serial, location, share in DEVICES:
        device, _ = Device.objects.get_or_create(
            manufacturer=manufacturer,
            serial=serial,
            defaults={"model": model, "location": location},
        )
        devices.append((device, share))
        if manufacturer != "hologic":
            continue
        for site in PRECISION_SITES:
            if PrecisionStudy.objects.filter(device=device, site=site).exists():
                continue
            precision_study_record(
                device=device,
                site=site,
                day=PRECISION_DATE,
                groups=duplicate_scans(f"{serial}:{site}"),
            )
    return devices


# --------------------------------------------------------------------------------------------
# One patient
# --------------------------------------------------------------------------------------------


def _days(day: datetime.date, days: float) -> datetime.date:
    return day + datetime.timedelta(days=int(days))


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights=weights)[0]


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _bmd_for(site: str, t: float) -> float:
    if site == "lumbar_spine":
        return SPINE_MEAN + SPINE_SD * t
    if site == "radius_33":
        return RADIUS_MEAN + RADIUS_SD * t
    reference = REFERENCES[Site(site)]
    return reference.mean + reference.sd * t


def _t_for(site: str, bmd: float) -> float:
    if site in HIP_SITES:
        # The T-score the NHANES III reference gives, as the consistency check expects.
        return reference_t_score(Site(site), bmd)
    mean, sd = (SPINE_MEAN, SPINE_SD) if site == "lumbar_spine" else (RADIUS_MEAN, RADIUS_SD)
    return round_score((bmd - mean) / sd)


def _score(value: float) -> Decimal:
    return Decimal(f"{_clamp(value, -8.0, 6.0):.1f}")


def _measurement(scan, site, side, true_bmd, rng, age) -> SiteMeasurement:
    measured = true_bmd * (1 + rng.gauss(0, NOISE_CV[site]))
    # Within what the database accepts and a T-score of −6 to +5 gives.
    measured = round(_clamp(measured, _bmd_for(site, -6.0), _bmd_for(site, 5.0)), 3)
    t = _t_for(site, measured)
    # The Z-score compares with people of the same age: about 0.03 SD a year after 30.
    z = None
    if rng.random() < 0.85:
        z = t + _clamp((age - 30) * 0.03, 0, 1.8) + rng.gauss(0, 0.15)
    return SiteMeasurement(
        scan=scan,
        site=site,
        side=side,
        vertebrae="L1-L4" if site == "lumbar_spine" else "",
        bmd=Decimal(f"{measured:.3f}"),
        t_score=_score(t),
        z_score=None if z is None else _score(z),
    )


def _patient(batch: _Batch, rng: random.Random, mrn: str, devices, reviewer, today) -> None:
    female = rng.random() < 0.8
    first_scan = _days(today, -rng.uniform(0.5, 13.5) * 365.25)
    age_at_first = rng.randint(45, 84)
    born = datetime.date(first_scan.year - age_at_first, rng.randint(1, 12), rng.randint(1, 28))
    age_now = today.year - born.year
    if female:
        menopause = (
            Menopause.POST if age_now >= 53 else rng.choice([Menopause.PERI, Menopause.POST])
        )
        if age_now < 48:
            menopause = Menopause.PRE
    else:
        menopause = Menopause.NOT_APPLICABLE
    glucocorticoids = rng.random() < 0.08
    patient = Patient(
        mrn=mrn,
        family_name=rng.choice(FAMILY),
        given_name=rng.choice(GIVEN_F if female else GIVEN_M),
        date_of_birth=born,
        sex=Sex.FEMALE if female else Sex.MALE,
        menopause=menopause,
        low_calcium_vitamin_d=rng.random() < 0.25,
        sedentary=rng.random() < 0.3,
        smoking=rng.random() < 0.15,
        alcohol=rng.random() < 0.08,
        excess_caffeine=rng.random() < 0.1,
        glucocorticoids=glucocorticoids,
        glucocorticoid_dose_mg=(
            Decimal(rng.choice(["2.5", "5.0", "7.5", "10.0", "20.0"])) if glucocorticoids else None
        ),
        family_history=rng.random() < 0.2,
        falls_last_year=rng.random() < 0.15,
    )
    batch.patients.append(patient)

    # The scanner: most patients stay on one; some move from the outreach Lunar to a Hologic.
    device = _weighted(rng, ((device, share) for device, share in devices))
    switch_at = None
    if device.manufacturer == "ge_lunar" and rng.random() < 0.2:
        switch_at = rng.randint(1, 4)
    # The skeleton at the first scan, as T-scores; then BMD drifts per year.
    spine_t = _clamp(rng.gauss(-1.2 if female else -0.6, 1.1), -4.5, 2.5)
    neck_t = _clamp(0.5 * spine_t + rng.gauss(-0.9, 0.7), -4.5, 2.0)
    hip_t = _clamp(neck_t + rng.gauss(0.4, 0.3), -4.5, 2.5)
    radius_t = _clamp(rng.gauss(-1.0, 1.0), -4.5, 2.0)
    true = {
        "lumbar_spine": _bmd_for("lumbar_spine", spine_t),
        "femoral_neck": _bmd_for("femoral_neck", neck_t),
        "total_hip": _bmd_for("total_hip", hip_t),
        "radius_33": _bmd_for("radius_33", radius_t),
    }
    right_factor = rng.gauss(1.0, 0.02)
    loss = rng.uniform(-0.025, -0.002)  # per year, untreated
    gain = rng.uniform(-0.002, 0.02)  # per year, on a bone therapy
    side = "left" if rng.random() < 0.8 else "right"
    both_hips = rng.random() < 0.06
    radius = rng.random() < 0.12

    therapy_start = None
    day = first_scan
    previous_day = None
    scans = []
    # Some patients stop coming: their next scan falls overdue on the worklist.
    last_visit = today
    if rng.random() < 0.15:
        last_visit = _days(today, -rng.uniform(0, 6 * 365.25))
    while not scans or (day <= last_visit and len(scans) < 10):
        if previous_day is not None:
            years = (day - previous_day).days / 365.25
            treated = therapy_start is not None and therapy_start <= day
            rate = gain if treated else loss
            for site in true:
                # The hips lose and gain more slowly than the spine.
                factor = 1.0 if site == "lumbar_spine" else 0.6
                true[site] *= (1 + rate * factor) ** years
        if switch_at is not None and len(scans) == switch_at:
            device = devices[0][0]
        scan = DexaScan(
            patient=patient,
            date=day,
            device=device,
            operator=rng.choice(OPERATORS),
            reference_database="NHANES III (hip), manufacturer (spine)",
            status=ScanStatus.RELEASED,
            reviewed_by=reviewer,
            reviewed_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(16))),
        )
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        sites = [("lumbar_spine", "", true["lumbar_spine"])]
        for hip_side in ("left", "right") if both_hips else (side,):
            factor = right_factor if hip_side == "right" else 1.0
            sites.append(("femoral_neck", hip_side, true["femoral_neck"] * factor))
            sites.append(("total_hip", hip_side, true["total_hip"] * factor))
        if radius:
            sites.append(("radius_33", "left", true["radius_33"]))
        measurements = [_measurement(scan, *site, rng, age) for site in sites]
        batch.scans.append(scan)
        batch.measurements.extend(measurements)
        scans.append((scan, measurements))
        lowest = min(float(m.t_score) for m in measurements if m.site != "radius_33")
        if therapy_start is None and lowest <= -2.5 and rng.random() < 0.65:
            therapy_start = min(today, _days(day, rng.uniform(14, 90)))
        previous_day = day
        day = _days(day, rng.uniform(365, 730))

    last_scan = scans[-1][0]
    # Most scans are released; the newest of a few patients awaits review or release.
    roll = rng.random()
    if roll < 0.05:
        last_scan.status, last_scan.reviewed_by, last_scan.reviewed_at = (
            ScanStatus.DRAFT,
            None,
            None,
        )
    elif roll < 0.08:
        last_scan.status = ScanStatus.REVIEWED
    if rng.random() < 0.01:
        _scan_entered_in_error(batch, rng, *rng.choice(scans))

    if therapy_start is not None:
        _therapy(batch, rng, patient, therapy_start, today)
    if rng.random() < 0.35:
        batch.treatments.append(
            Treatment(
                patient=patient,
                drug_class=DrugClass.CALCIUM_VITAMIN_D,
                name="Calcium carbonate / colecalciferol",
                start=min(today, _days(first_scan, rng.uniform(7, 60))),
            )
        )
    _fractures(batch, rng, patient, born, first_scan, today, lowest)
    if liaison := generated_episodes.draw(mrn, patient, born, today):
        batch.fractures.append(liaison[0])
        batch.episodes.append(liaison[1])
    if rng.random() < 0.35:
        _heights(batch, rng, patient, female, born, [scan for scan, _ in scans])
    if rng.random() < 0.12:
        _symptoms(batch, rng, patient, today)
    if -2.5 < lowest < -1.0 and rng.random() < 0.3:
        major = round(rng.uniform(4.0, 35.0), 1)
        batch.frax.append(
            FraxEntry(
                patient=patient,
                date=last_scan.date,
                major_osteoporotic=Decimal(f"{major:.1f}"),
                hip=Decimal(f"{min(major, round(rng.uniform(0.3, 12.0), 1)):.1f}"),
                with_bmd=rng.random() < 0.9,
            )
        )


def _scan_entered_in_error(batch: _Batch, rng: random.Random, scan, measurements) -> None:
    """A scan typed in twice, the copy with a mistyped spine BMD and marked in error."""
    wrong = DexaScan(
        patient=scan.patient,
        date=scan.date,
        device=scan.device,
        operator=scan.operator,
        status=ScanStatus.DRAFT,
        entered_in_error=True,
        error_reason="Entered twice; the spine BMD of this copy was mistyped.",
    )
    batch.scans.append(wrong)
    for m in measurements:
        bmd = float(m.bmd)
        if m.site == "lumbar_spine":
            bmd = _clamp(round(bmd * 1.1, 3), 0.2, 2.0)
        batch.measurements.append(
            SiteMeasurement(
                scan=wrong,
                site=m.site,
                side=m.side,
                vertebrae=m.vertebrae,
                bmd=Decimal(f"{bmd:.3f}"),
                t_score=_score(_t_for(m.site, bmd)),
                z_score=m.z_score,
            )
        )


def _therapy(batch: _Batch, rng, patient, start: datetime.date, today: datetime.date) -> None:
    drug_class, name = _weighted(rng, ((t[:2], t[2]) for t in THERAPIES))
    stop, reason = None, ""
    holiday = _days(start, 5 * 365.25)
    if drug_class == DrugClass.BISPHOSPHONATE and holiday < today and rng.random() < 0.5:
        # A drug holiday after five years of a bisphosphonate (docs/clinical-rules.md §8).
        stop, reason = holiday, "Drug holiday after five years"
    elif rng.random() < 0.05 and _days(start, 120) < today:
        stop, reason = _days(start, rng.uniform(30, 120)), "Side effects"
    batch.treatments.append(
        Treatment(
            patient=patient,
            drug_class=drug_class,
            name=name,
            start=start,
            stop=stop,
            reason_stopped=reason,
        )
    )


def _fractures(batch: _Batch, rng, patient, born, first_scan, today, lowest_t) -> None:
    events = []
    fifty = datetime.date(born.year + 50, born.month, born.day)
    if rng.random() < 0.15 and fifty < first_scan:
        events.append(_days(fifty, rng.uniform(0, (first_scan - fifty).days)))
    # Lower T-scores fracture more often during follow-up.
    if rng.random() < 0.06 + 0.04 * max(0.0, -1.0 - lowest_t):
        events.append(_days(first_scan, rng.uniform(0, max(1, (today - first_scan).days))))
    for day in events:
        _fracture(batch, rng, patient, day, _weighted(rng, FRACTURE_SITES), today)
    # A few vertebral fractures of the last 16 weeks: the worklist's acute and rehab sections.
    if rng.random() < 0.006:
        day = _days(today, -rng.uniform(0, 110))
        _fracture(batch, rng, patient, day, FractureSite.VERTEBRAL, today)


def _fracture(batch: _Batch, rng, patient, day, site: str, today: datetime.date) -> None:
    vertebral = site == FractureSite.VERTEBRAL
    recent = (today - day).days < 120
    precision = DatePrecision.DAY
    if not recent:
        precision = _weighted(
            rng, ((DatePrecision.DAY, 70), (DatePrecision.MONTH, 20), (DatePrecision.YEAR, 10))
        )
    detection = Detection.CLINICAL
    if vertebral and not recent and rng.random() < 0.4:
        detection = Detection.IMAGING
    batch.fractures.append(
        Fracture(
            patient=patient,
            date=day,
            date_precision=precision,
            site=site,
            # The database refuses a vertebral fracture without its level, and a Genant grade
            # or level on any other site.
            vertebral_level=_weighted(rng, LEVEL_WEIGHTS.items()) if vertebral else "",
            genant_grade=rng.choice([1, 2, 2, 3, None]) if vertebral else None,
            mechanism=_weighted(
                rng,
                ((Mechanism.FRAGILITY, 80), (Mechanism.HIGH_TRAUMA, 10), (Mechanism.UNKNOWN, 10)),
            ),
            detection=detection,
            brace=vertebral and detection == Detection.CLINICAL and rng.random() < 0.4,
        )
    )


def _heights(batch: _Batch, rng, patient, female: bool, born, scans) -> None:
    tallest = rng.gauss(163, 6) if female else rng.gauss(177, 7)
    if rng.random() < 0.4:
        young = datetime.date(born.year + 25, 6, 1)
        batch.heights.append(
            HeightMeasurement(
                patient=patient, date=young, cm=Decimal(f"{tallest:.1f}"), measured=False
            )
        )
    per_year = rng.uniform(0.0, 0.6)
    for scan in scans:
        age = scan.date.year - born.year
        cm = tallest - rng.uniform(0.5, 3.0) - per_year * max(0, age - 50)
        batch.heights.append(
            HeightMeasurement(patient=patient, date=scan.date, cm=Decimal(f"{cm:.1f}"))
        )


def _symptoms(batch: _Batch, rng, patient, today: datetime.date) -> None:
    for _ in range(rng.randint(1, 4)):
        day = _days(today, -rng.uniform(0, 730))
        pain = rng.randint(0, 8)
        report = SymptomReport(
            patient=patient,
            reported_at=timezone.make_aware(
                datetime.datetime.combine(
                    day, datetime.time(rng.randint(8, 20), rng.randint(0, 59))
                )
            ),
            source=ReportSource.PATIENT if rng.random() < 0.7 else ReportSource.CLINICIAN,
            pain=pain,
            pain_back=pain > 0 and rng.random() < 0.6,
            pain_hip=pain > 0 and rng.random() < 0.25,
            pain_neck_shoulder=pain > 0 and rng.random() < 0.2,
            pain_other=pain > 0 and rng.random() < 0.1,
            sudden_onset=rng.random() < 0.05,
            affects_sleep_or_daily_life=rng.random() < 0.08,
            fall_since_last_report=rng.random() < 0.05,
            height_loss_or_stooping=rng.random() < 0.04,
        )
        # As patients.services.symptom_report_record stores them: the guide's codes.
        report.raise_red_flags()
        if report.red_flags and (today - day).days > 14:
            report.acknowledged_at = report.reported_at + datetime.timedelta(days=1)
        batch.reports.append(report)


# --------------------------------------------------------------------------------------------
# Stored readings in bulk
# --------------------------------------------------------------------------------------------


def statuses_build(patient_ids: Iterable[int], *, progress: Progress | None = None) -> int:
    """Build the stored reading of many patients, a batch at a time (status_refresh_many)."""
    ids = sorted(set(patient_ids))
    say = progress or (lambda text: None)
    started = time.perf_counter()
    for start in range(0, len(ids), STATUSES_PER_BATCH):
        part = ids[start : start + STATUSES_PER_BATCH]
        status_refresh_many(patients=Patient.objects.filter(pk__in=part).order_by("pk"))
        done = start + len(part)
        if done % 2000 == 0 or done == len(ids):
            elapsed = time.perf_counter() - started
            say(f"Stored readings {done:,}/{len(ids):,} ({elapsed:.1f} s)")
    return len(ids)
