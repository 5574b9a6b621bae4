"""`seed_demo` makes the documented demo users, runs twice without harm, and guards production."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from osteoclinic import demo
from patients.access import Role, role_of
from patients.models import Patient


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


@pytest.mark.django_db
def test_force_runs_it_with_debug_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert User.objects.filter(username="alice").exists()
