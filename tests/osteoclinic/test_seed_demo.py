"""`seed_demo` makes the documented demo users, runs twice without harm, and guards production."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from education.models import EducationPage
from osteoclinic import demo
from osteoclinic.models import DemoDatabase
from patients.access import EDITORS, Role, role_of
from patients.models import Patient
from scans.models import DexaScan
from tests.conftest import make_patient


@pytest.mark.django_db
def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=true"):
        call_command("seed_demo")
    assert not User.objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_every_demo_login_works_with_its_role_and_a_rerun_changes_nothing(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Patient.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Patient.objects.count()) == counts

    expected = {
        "alice": Role.CLINICIAN,
        "eddie": Role.EDITOR,
        "paula": Role.PATIENT,
        "pete": Role.PATIENT,
        "clara": Role.CAREGIVER,
        "admin": Role.SUPERUSER,
    }
    for username, role in expected.items():
        # django-axes checks every sign-in against its lockouts, so it needs the request.
        user = authenticate(RequestFactory().post("/"), username=username, password=demo.PASSWORD)
        assert user is not None, username
        assert role_of(user) == role
    paula = Patient.objects.get(user__username="paula")
    assert paula.given_name == "Paula"
    # Her latest released result carries a note for her, as the portal shows it.
    latest = paula.scans.filter(status="released").first()
    assert latest.patient_note == demo.PAULA_NOTE
    assert DemoDatabase.objects.count() == 1


@pytest.mark.django_db
def test_force_runs_it_with_debug_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert User.objects.filter(username="alice").exists()


@pytest.mark.django_db
def test_reset_wipes_what_was_added_and_seeds_the_demo_again(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    pages = EducationPage.objects.count()
    groups = sorted(Group.objects.values_list("name", flat=True))
    editor_permissions = set(Group.objects.get(name=EDITORS).permissions.values_list("codename"))
    counts = (User.objects.count(), Patient.objects.count(), DexaScan.objects.count())
    make_patient("TRY-1", family_name="Tried", given_name="Someone")
    User.objects.create_user("visitor", password="pass-for-tests")

    out = StringIO()
    call_command("seed_demo", "--reset", stdout=out)

    assert "wiped and seeded again" in out.getvalue()
    assert not Patient.objects.filter(mrn="TRY-1").exists()
    assert not User.objects.filter(username="visitor").exists()
    assert (User.objects.count(), Patient.objects.count(), DexaScan.objects.count()) == counts
    # What migrating wrote is back: the groups, the editors' permissions, the pages.
    assert sorted(Group.objects.values_list("name", flat=True)) == groups
    assert set(Group.objects.get(name=EDITORS).permissions.values_list("codename")) == (
        editor_permissions
    )
    assert EducationPage.objects.count() == pages > 0
    assert DemoDatabase.objects.count() == 1
    user = authenticate(RequestFactory().post("/"), username="eddie", password=demo.PASSWORD)
    assert role_of(user) == Role.EDITOR


@pytest.mark.django_db
def test_reset_is_refused_on_a_database_seed_demo_did_not_make(settings):
    settings.DEBUG = True
    make_patient("CLINIC-1", family_name="Real", given_name="Record")
    with pytest.raises(CommandError, match="not made by seed_demo"):
        call_command("seed_demo", "--reset")
    assert Patient.objects.filter(mrn="CLINIC-1").exists()
    assert not DemoDatabase.objects.exists()
