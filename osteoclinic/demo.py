"""The demo clinic: named users and patients, created idempotently by `seed_demo`."""

import datetime

from django.contrib.auth.models import Group, User
from django.db import transaction

from patients.access import CLINICIANS, EDITORS
from patients.models import Menopause, Patient, Sex

PASSWORD = "bones-demo-2026"
LOGINS = (
    ("alice", "clinician"),
    ("eddie", "education editor"),
    ("paula", "patient"),
    ("pete", "patient"),
    ("admin", "superuser"),
)


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


@transaction.atomic
def seed() -> None:
    """Create or refresh every demo user and patient."""
    alice = _user("alice", first="Alice", last="Moreau", is_staff=False)
    alice.groups.add(Group.objects.get(name=CLINICIANS))
    eddie = _user("eddie", first="Eddie", last="Lang", is_staff=True)
    eddie.groups.add(Group.objects.get(name=EDITORS))
    _user("admin", first="Ada", last="Admin", is_staff=True, is_superuser=True)

    paula_user = _user("paula", first="Paula", last="Fischer")
    pete_user = _user("pete", first="Pete", last="Okafor")
    _patient(
        "DEMO-0001",
        family_name="Fischer",
        given_name="Paula",
        date_of_birth=datetime.date(1955, 4, 12),
        sex=Sex.FEMALE,
        menopause=Menopause.POST,
        email="paula@example.org",
        user=paula_user,
    )
    _patient(
        "DEMO-0002",
        family_name="Okafor",
        given_name="Pete",
        date_of_birth=datetime.date(1964, 2, 9),
        sex=Sex.MALE,
        menopause=Menopause.NOT_APPLICABLE,
        email="pete@example.org",
        user=pete_user,
    )
