"""The demo clinic: named users and patients, created idempotently by `seed_demo`.

Numbers are made up but clinically coherent: hip T-scores fit their BMD on the NHANES III
reference (docs/clinical-rules.md §5), and the changes are sized against realistic LSCs.
"""

import datetime
import importlib
import random
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from liaison.models import Episode
from patients.access import CLINICIANS, EDITORS
from patients.models import (
    CaregiverGrant,
    ClinicDetails,
    DatePrecision,
    Detection,
    DrugClass,
    Fracture,
    FractureSite,
    GrantChannel,
    HeightMeasurement,
    Mechanism,
    Menopause,
    MessageSender,
    Patient,
    ReportSource,
    SecureMessage,
    Sex,
    SymptomReport,
    Treatment,
)
from patients.services import message_write, symptom_report_record
from patients.signals import announce_record_changed
from scans.models import Device, DexaScan, PrecisionStudy, ScanStatus, SiteMeasurement
from scans.rules.basics import Site, round_score
from scans.rules.references import reference_t_score
from scans.services import precision_study_record

from . import generated_episodes
from .models import DemoDatabase

PASSWORD = "bones-demo-2026"
LOGINS = (
    ("alice", "clinician"),
    ("eddie", "education editor"),
    ("paula", "patient"),
    ("pete", "patient"),
    ("clara", "caregiver of Paula"),
    ("admin", "superuser"),
)
date = datetime.date


def _user(username: str, *, first: str, last: str, **flags) -> User:
    user, _ = User.objects.get_or_create(username=username)
    user.first_name, user.last_name = first, last
    user.email = f"{username}@example.org"
    for name, value in flags.items():
        setattr(user, name, value)
    user.set_password(PASSWORD)
    user.save()
    return user


def _patient(mrn: str, **fields) -> Patient:
    patient, _ = Patient.objects.update_or_create(mrn=mrn, defaults=fields)
    return patient


def _device(manufacturer: str, model: str, serial: str, location: str) -> Device:
    device, _ = Device.objects.get_or_create(
        manufacturer=manufacturer, serial=serial, defaults={"model": model, "location": location}
    )
    return device


def _scan(patient, device, day, sites, *, status=ScanStatus.RELEASED, reviewer=None, note=""):
    """A scan with its sites: (site, side, bmd, t, z). Skipped when it already exists."""
    scan, created = DexaScan.objects.get_or_create(
        patient=patient,
        device=device,
        date=day,
        entered_in_error=False,
        defaults={
            "status": status,
            "operator": "RT Demo",
            "reviewed_by": reviewer,
            "patient_note": note,
        },
    )
    if created:
        SiteMeasurement.objects.bulk_create(
            SiteMeasurement(
                scan=scan,
                site=site,
                side=side,
                vertebrae="L1-L4" if site == "lumbar_spine" else "",
                bmd=Decimal(str(bmd)),
                t_score=Decimal(str(t)),
                z_score=None if z is None else Decimal(str(z)),
            )
            for site, side, bmd, t, z in sites
        )
    return scan


PAULA_NOTE = (
    "Your spine and hip have lost bone since your last scan. Please book a visit: we would "
    "like to talk with you about treatment."
)


def _hip_t(site: str, bmd: float) -> float:
    return round_score(reference_t_score(Site(site), bmd))


def _precision_study(device: Device, site: str, day: datetime.date) -> None:
    if PrecisionStudy.objects.filter(device=device, site=site).exists():
        return
    precision_study_record(
        device=device, site=site, day=day, groups=duplicate_scans(f"{device.serial}-{site}")
    )


def duplicate_scans(seed: str, patients: int = 30, sd: float = 0.009) -> list[list[float]]:
    """A made-up precision study: each patient scanned twice, repositioned in between."""
    rng = random.Random(seed)
    groups = []
    for _ in range(patients):
        true = rng.uniform(0.7, 1.1)
        groups.append([round(true + rng.gauss(0, sd), 3) for _ in range(2)])
    return groups


def _once(model, patient, **fields):
    model.objects.get_or_create(patient=patient, **fields)


# What migrating an empty database writes besides the tables: the role groups, the editors'
# permissions and the education pages. A reset writes them again after wiping.
MIGRATION_DATA = (
    ("patients.migrations.0002_roles", "create_groups"),
    ("education.migrations.0002_editor_permissions", "grant"),
    ("education.migrations.0003_initial_content", "load"),
)
NOT_A_DEMO_DATABASE = (
    "This database was not made by seed_demo (it has no demo mark), so it may hold a clinic's "
    "records: seed_demo --reset wipes only a demo database. Nothing was changed."
)


class NotADemoDatabase(Exception):
    pass


def is_demo_database() -> bool:
    return DemoDatabase.objects.exists()


def reset() -> None:
    """Wipe every row of a demo database and seed the demo clinic again.

    Refused unless `seed` marked this database as a demo one: a clinic's records are never
    wiped (nothing clinical is deleted by the program).
    """
    if not is_demo_database():
        raise NotADemoDatabase(NOT_A_DEMO_DATABASE)
    # The migrations' functions are written against the models as migrated, as in migrate.
    state_apps = MigrationLoader(connection).project_state().apps
    with transaction.atomic():
        # PostgreSQL refuses to TRUNCATE a table with foreign-key checks still pending in the
        # transaction (rows written earlier in it): run them now.
        connection.check_constraints()
        call_command("flush", interactive=False, verbosity=0)
        for module, function in MIGRATION_DATA:
            write = getattr(importlib.import_module(module), function)
            write(state_apps, connection.schema_editor())
        seed()


@transaction.atomic
def seed() -> None:
    """Create or refresh every demo user and patient, and mark the database as a demo one."""
    if not is_demo_database():
        DemoDatabase.objects.create(seeded_at=timezone.now())
    alice = _user("alice", first="Alice", last="Moreau", is_staff=False)
    alice.groups.add(Group.objects.get(name=CLINICIANS))
    eddie = _user("eddie", first="Eddie", last="Lang", is_staff=True)
    eddie.groups.add(Group.objects.get(name=EDITORS))
    _user("admin", first="Ada", last="Admin", is_staff=True, is_superuser=True)

    hologic = _device("hologic", "Horizon A", "H-4471", "Main clinic")
    lunar = _device("ge_lunar", "Prodigy", "GE-2210", "Outreach clinic")
    _device("norland", "XR-800", "N-0815", "Former scanner, retired")
    _precision_study(hologic, "lumbar_spine", date(2021, 9, 1))
    _precision_study(hologic, "total_hip", date(2021, 9, 1))

    _seed_clinic_details()
    _seed_paula(alice, hologic)
    _seed_caregiver()
    _seed_pete(alice, lunar)
    _seed_clinic(alice, hologic, lunar)
    _seed_waiting_scan(hologic)
    _seed_liaison(alice)
    # The demo data is written directly, not through the services: announce it once.
    for patient in Patient.objects.all():
        announce_record_changed(Patient, patient)


def _seed_clinic_details():
    """How the demo clinic is reached: on every portal page and with every red flag."""
    clinic = ClinicDetails.current()
    if clinic.phone:
        return  # kept as a superuser may have changed it
    clinic.name = "OsteoClinic bone health clinic"
    clinic.phone = "020 7946 0000"
    clinic.email = "bones@clinic.example.org"
    clinic.address = "Metabolic Bone Unit, 2nd floor\n1 Hospital Road, London"
    clinic.hours = "Monday to Friday, 8:30 to 17:00"
    clinic.emergency = (
        "Call 999, or go to the nearest emergency department, for a fall with severe pain or "
        "an injury."
    )
    clinic.save()


def _seed_paula(alice, hologic):
    paula = _patient(
        "DEMO-0001",
        family_name="Fischer",
        given_name="Paula",
        date_of_birth=date(1955, 4, 12),
        sex=Sex.FEMALE,
        menopause=Menopause.POST,
        email="paula@example.org",
        user=_user("paula", first="Paula", last="Fischer"),
        low_calcium_vitamin_d=True,
        family_history=True,
        clinician_notes="Mother had a hip fracture at 78. Prefers morning appointments.",
    )
    # Three scans over four years: spine loss beyond the LSC against the first scan.
    for day, spine, neck, hip in (
        (date(2022, 6, 14), (0.842, -2.0, -0.2), 0.640, 0.760),
        (date(2024, 6, 18), (0.810, -2.3, -0.4), 0.615, 0.735),
        (date(2026, 6, 16), (0.772, -2.7, -0.7), 0.590, 0.705),
    ):
        _scan(
            paula,
            hologic,
            day,
            [
                ("lumbar_spine", "", *spine),
                ("femoral_neck", "left", neck, _hip_t("femoral_neck", neck), None),
                ("total_hip", "left", hip, _hip_t("total_hip", hip), None),
            ],
            reviewer=alice,
            note=PAULA_NOTE if day == date(2026, 6, 16) else "",
        )
    # Recent events are dated from today, so the demo always shows an acute fracture and a
    # red flag on the worklist; they are created once and keep their first dates.
    today = datetime.date.today()
    _once(
        Fracture,
        paula,
        site=FractureSite.VERTEBRAL,
        vertebral_level="L1",
        defaults={
            "date": today - datetime.timedelta(days=35),
            "mechanism": Mechanism.FRAGILITY,
            "genant_grade": 2,
            "detection": Detection.CLINICAL,
            "brace": True,
            "notes": "Sudden back pain lifting a shopping bag. MRI: acute L1 wedge.",
        },
    )
    if not SymptomReport.objects.filter(patient=paula).exists():
        report = SymptomReport(
            patient=paula,
            reported_at=timezone.now() - datetime.timedelta(days=2),
            source=ReportSource.PATIENT,
            pain=6,
            pain_back=True,
            affects_sleep_or_daily_life=True,
            height_loss_or_stooping=True,
            note="Back pain wakes me at night since the fracture.",
        )
        symptom_report_record(report=report, user=paula.user)
    if not SecureMessage.objects.filter(patient=paula).exists():
        message_write(
            patient=paula,
            sender=MessageSender.PATIENT,
            author=paula.user,
            subject="Alendronate and breakfast",
            body="Should I still take my alendronate before breakfast while my back hurts?",
        )
    _once(HeightMeasurement, paula, date=date(1975, 1, 1), cm=Decimal("165.0"), measured=False)
    _once(HeightMeasurement, paula, date=date(2022, 6, 14), cm=Decimal("163.5"))
    _once(HeightMeasurement, paula, date=date(2026, 6, 16), cm=Decimal("160.5"))
    _once(
        Treatment,
        paula,
        drug_class=DrugClass.CALCIUM_VITAMIN_D,
        name="Calcium carbonate / colecalciferol",
        start=date(2022, 7, 1),
    )
    _once(
        Treatment,
        paula,
        drug_class=DrugClass.BISPHOSPHONATE,
        name="Alendronate 70 mg weekly",
        start=date(2024, 7, 1),
    )


def _seed_caregiver():
    """Clara, Paula's daughter, helps her with the portal: an accepted grant of Paula's."""
    clara = _user("clara", first="Clara", last="Fischer")
    paula = Patient.objects.get(user__username="paula")
    CaregiverGrant.objects.open().get_or_create(
        patient=paula,
        caregiver=clara,
        defaults={
            "name": "Clara Fischer",
            "email": clara.email,
            "relationship": "daughter",
            "channel": GrantChannel.PATIENT,
            "invited_by": paula.user,
            "invited_by_name": "Paula Fischer (paula)",
            "caregiver_username": clara.username,
            "accepted_at": timezone.now(),
        },
    )


def _seed_pete(alice, lunar):
    pete = _patient(
        "DEMO-0002",
        family_name="Okafor",
        given_name="Pete",
        date_of_birth=date(1964, 2, 9),
        sex=Sex.MALE,
        menopause=Menopause.NOT_APPLICABLE,
        email="pete@example.org",
        user=_user("pete", first="Pete", last="Okafor"),
        smoking=True,
        sedentary=True,
    )
    # Normal, then low bone mass four years later.
    _scan(
        pete,
        lunar,
        date(2021, 3, 10),
        [
            ("lumbar_spine", "", 1.150, -0.3, -0.1),
            ("femoral_neck", "left", 0.950, -0.6, -0.2),
            ("total_hip", "left", 1.000, -0.4, -0.1),
        ],
        reviewer=alice,
    )
    _scan(
        pete,
        lunar,
        date(2025, 3, 12),
        [
            ("lumbar_spine", "", 1.040, -1.2, -0.7),
            ("femoral_neck", "left", 0.870, -1.2, -0.6),
            ("total_hip", "left", 0.930, -1.0, -0.5),
        ],
        reviewer=alice,
    )
    _once(HeightMeasurement, pete, date=date(2025, 3, 12), cm=Decimal("178.0"))


FAMILY = [
    "Andersen",
    "Baptiste",
    "Chen",
    "Dubois",
    "Evans",
    "Fernández",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "López",
    "Murphy",
    "Nakamura",
    "O'Brien",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
]
GIVEN_F = [
    "Anna",
    "Beatriz",
    "Clara",
    "Dorothy",
    "Elena",
    "Fatima",
    "Grace",
    "Helen",
    "Irene",
    "Joan",
]
GIVEN_M = ["Ahmed", "Bernard", "Carlos", "David", "Erik", "Frank", "George", "Hiro", "Ivan", "John"]


def _seed_clinic(alice, hologic, lunar):
    """About twenty more patients, so lists, filters and the worklist have something to show."""
    rng = random.Random(2026)
    for index, family in enumerate(FAMILY):
        female = index % 4 != 3
        born = date(1940 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
        menopause = Menopause.NOT_APPLICABLE
        if female:
            menopause = Menopause.PRE if born.year > 1978 else Menopause.POST
        patient = _patient(
            f"DEMO-{index + 3:04d}",
            family_name=family,
            given_name=(GIVEN_F if female else GIVEN_M)[index % 10],
            date_of_birth=born,
            sex=Sex.FEMALE if female else Sex.MALE,
            menopause=menopause,
            smoking=rng.random() < 0.2,
            alcohol=rng.random() < 0.1,
            glucocorticoids=rng.random() < 0.1,
            falls_last_year=rng.random() < 0.2,
            sedentary=rng.random() < 0.3,
        )
        device = hologic if index % 3 else lunar
        neck = rng.uniform(0.50, 0.95)
        spine_t = rng.uniform(-3.4, 0.8)
        first = date(2019 + rng.randint(0, 3), rng.randint(1, 12), rng.randint(1, 28))
        for visit in range(rng.randint(1, 3)):
            day = first + datetime.timedelta(days=int(365 * 1.8 * visit))
            if day > date(2026, 11, 1):
                break
            neck_now = round(neck * (1 - 0.012 * visit * rng.uniform(0, 2)), 3)
            spine_now = round(spine_t - 0.2 * visit * rng.uniform(0, 2), 1)
            hip_now = round(neck_now + 0.11, 3)
            last_visit = visit == 2 or day + datetime.timedelta(days=660) > date(2026, 11, 1)
            _scan(
                patient,
                device,
                day,
                [
                    (
                        "lumbar_spine",
                        "",
                        round(1.047 + spine_now * 0.11, 3),
                        spine_now,
                        round(spine_now + 0.8, 1),
                    ),
                    (
                        "femoral_neck",
                        "left",
                        neck_now,
                        _hip_t("femoral_neck", neck_now),
                        round(_hip_t("femoral_neck", neck_now) + 0.9, 1),
                    ),
                    ("total_hip", "left", hip_now, _hip_t("total_hip", hip_now), None),
                ],
                status=ScanStatus.DRAFT if last_visit and index % 5 == 0 else ScanStatus.RELEASED,
                reviewer=alice,
            )
        if index % 4 == 1:
            _once(
                Fracture,
                patient,
                date=date(2018 + index % 7, 1 + index % 12, 1),
                date_precision=DatePrecision.MONTH,
                site=FractureSite.WRIST if index % 8 else FractureSite.HIP,
                mechanism=Mechanism.FRAGILITY if index % 3 else Mechanism.HIGH_TRAUMA,
            )


def _seed_waiting_scan(hologic):
    """One scan of last week still waiting for a clinician's review."""
    patient = Patient.objects.get(mrn="DEMO-0003")
    if patient.scans.filter(status=ScanStatus.DRAFT).exists():
        return
    day = datetime.date.today() - datetime.timedelta(days=7)
    neck = 0.655
    _scan(
        patient,
        hologic,
        day,
        [
            ("lumbar_spine", "", 0.861, -1.9, -0.9),
            ("femoral_neck", "left", neck, _hip_t("femoral_neck", neck), None),
        ],
        status=ScanStatus.DRAFT,
    )


def _seed_liaison(alice):
    """Fracture liaison episodes: Paula's L1 fracture, and a recent fracture of some of the
    clinic's patients at every stage of its year, for the worklist and the KPI page."""
    today = datetime.date.today()
    recent = Fracture.objects.filter(
        patient__mrn__startswith="DEMO-", mechanism=Mechanism.FRAGILITY, site=FractureSite.HUMERUS
    )
    for index, patient in enumerate(Patient.objects.filter(mrn__startswith="DEMO-")[:12]):
        _once(
            Fracture,
            patient,
            site=FractureSite.HUMERUS,
            mechanism=Mechanism.FRAGILITY,
            defaults={"date": today - datetime.timedelta(days=12 + 37 * index)},
        )
    paula_l1 = Fracture.objects.filter(
        patient__user__username="paula", site=FractureSite.VERTEBRAL, vertebral_level="L1"
    )
    for fracture in [*recent.select_related("patient"), *paula_l1.select_related("patient")]:
        if Episode.objects.filter(fracture=fracture).exists():
            continue
        rng = random.Random(f"demo-fls:{fracture.patient.mrn}")
        episode = generated_episodes.episode_draw(rng, fracture.patient, fracture, today)
        episode.created_by = alice
        episode.save()
