"""The people every test meets: alice (clinician), eddie (editor), paula and pete (patients)."""

import datetime
import shutil
import tempfile
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User

from patients.access import CLINICIANS, EDITORS
from patients.models import Menopause, Patient, Sex


def make_user(username: str, *groups: str, **flags) -> User:
    user = User.objects.create_user(username, f"{username}@example.org", "pass-for-tests", **flags)
    for name in groups:
        # Transactional tests (the browser journeys) flush the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def make_patient(mrn: str, **fields) -> Patient:
    defaults = {
        "family_name": "Test",
        "given_name": "Patient",
        "date_of_birth": datetime.date(1958, 1, 1),
        "sex": Sex.FEMALE,
        "menopause": Menopause.POST,
    }
    defaults.update(fields)
    return Patient.objects.create(mrn=mrn, **defaults)


def make_caregiver(username: str, *patients: Patient, **names) -> User:
    """A caregiver's own account, holding an accepted grant for each of `patients`."""
    from patients.models import CaregiverGrant

    names = {"first_name": username.capitalize(), "last_name": "Carer", **names}
    user = make_user(username, **names)
    for patient in patients:
        CaregiverGrant.objects.create(
            patient=patient,
            name=f"{user.first_name} {user.last_name}",
            email=user.email,
            relationship="daughter",
            channel="patient",
            invited_by=patient.user,
            caregiver=user,
            caregiver_username=user.username,
            accepted_at=datetime.datetime.now(datetime.UTC),
        )
    return user


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    """On SQLite the test database is a file rather than memory: the worker tests start
    `manage.py db_worker` processes that must open it."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    folder = None
    if database["ENGINE"] == "django.db.backends.sqlite3":
        folder = Path(tempfile.mkdtemp(prefix="osteoclinic-test-"))
        database.setdefault("TEST", {})["NAME"] = str(folder / "test.sqlite3")
    yield
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache.

    Ids and times repeat between tests whose transactions were rolled back, so a version key
    could otherwise meet a page or chart cached by an earlier test.
    """
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def alice(db):
    return make_user("alice", CLINICIANS)


@pytest.fixture
def eddie(db):
    return make_user("eddie", EDITORS, is_staff=True)


@pytest.fixture
def admin_user(db):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def nobody(db):
    """Signed in, but neither staff nor linked to a patient."""
    return make_user("nobody")


@pytest.fixture
def paula(db):
    return make_patient(
        "MRN-PAULA",
        family_name="Fischer",
        given_name="Paula",
        date_of_birth=datetime.date(1955, 4, 12),
        user=make_user("paula"),
    )


@pytest.fixture
def pete(db):
    return make_patient(
        "MRN-PETE",
        family_name="Okafor",
        given_name="Pete",
        date_of_birth=datetime.date(1964, 2, 9),
        sex=Sex.MALE,
        menopause=Menopause.NOT_APPLICABLE,
        user=make_user("pete"),
    )


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user (None for an anonymous visitor)."""

    def sign_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def hologic(db):
    from scans.models import Device

    return Device.objects.create(manufacturer="hologic", model="Horizon A", serial="HZ-100")


@pytest.fixture
def paula_scan(paula, hologic):
    """A scan of paula's: one lumbar spine measurement, still a draft."""
    from scans.models import DexaScan, SiteMeasurement

    scan = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2023, 3, 3))
    SiteMeasurement.objects.create(
        scan=scan, site="lumbar_spine", vertebrae="L1-L4", bmd="0.812", t_score="-2.7"
    )
    return scan


@pytest.fixture
def workers(transactional_db, tmp_path):
    """Start `manage.py db_worker` processes on the test database: workers(worker_id, **env)."""
    from tests.tasks import start_worker, stop_worker

    started = []

    def start(worker_id: str, **env):
        process = start_worker(tmp_path / f"{worker_id}.log", worker_id, **env)
        started.append(process)
        return process

    yield start
    for process in started:
        stop_worker(process)


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free loopback port (aiosmtpd), not started yet: the email backend
    points at it, so until `smtp.start()` every delivery fails with a refused connection."""
    from tests.outbox.smtp import SMTPServer, free_port

    server = SMTPServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.OUTBOX_RETRY_SECONDS = 60
    yield server
    server.stop()
