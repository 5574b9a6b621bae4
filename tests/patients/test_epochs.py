"""The counters in cached parts' keys move on after each committed change, and only then."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from patients import epochs
from patients.audit import log_access
from patients.models import AccessAction, HeightMeasurement
from scans.models import Device
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_a_patients_change_moves_their_counter_and_the_clinics(
    paula, pete, django_capture_on_commit_callbacks
):
    before = epochs.marks(epochs.CLINIC, epochs.patient(paula.pk), epochs.patient(pete.pk))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        HeightMeasurement.objects.create(patient=paula, date="2026-01-05", cm="160.0")
        # Not before the commit: a part built meanwhile must not be stored under the new marks.
        assert epochs.marks(epochs.CLINIC) == before[:1]
    assert callbacks
    after = epochs.marks(epochs.CLINIC, epochs.patient(paula.pk), epochs.patient(pete.pk))
    assert after[0] != before[0] and after[1] != before[1] and after[2] == before[2]


def test_a_device_or_an_account_moves_the_shared_counter(alice, django_capture_on_commit_callbacks):
    before = epochs.marks(epochs.SHARED)
    with django_capture_on_commit_callbacks(execute=True):
        Device.objects.create(manufacturer="hologic", model="Horizon", serial="EP-1")
    moved = epochs.marks(epochs.SHARED)
    assert moved != before
    with django_capture_on_commit_callbacks(execute=True):
        alice.first_name = "Alicia"
        alice.save()
    assert epochs.marks(epochs.SHARED) != moved


def test_signing_in_and_the_access_log_move_nothing(
    client, alice, paula, rf, django_capture_on_commit_callbacks
):
    before = epochs.marks(epochs.CLINIC, epochs.SHARED, epochs.patient(paula.pk))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("login"), {"username": "alice", "password": "pass-for-tests"})
        request = rf.get("/")
        request.user = alice
        log_access(request, paula, AccessAction.RECORD)
    assert User.objects.get(pk=alice.pk).last_login is not None
    assert epochs.marks(epochs.CLINIC, epochs.SHARED, epochs.patient(paula.pk)) == before


def test_a_deleted_portal_account_shows_on_a_cached_record_page(
    client, alice, paula, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])
    header = '<dt class="col-sm-5">Portal user</dt><dd class="col-sm-7">{}</dd>'
    assert header.format("Yes") in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        paula.user.delete()  # the patient's link is cleared by the database, with no history
    assert header.format("No") in client.get(url).content.decode()


def test_a_renamed_clinician_shows_in_a_cached_education_panel(
    client, alice, paula, django_capture_on_commit_callbacks
):
    from education.models import EducationPage
    from education.services import education_attach

    bob = make_user("bob", *alice.groups.values_list("name", flat=True))
    page = EducationPage.objects.for_patients().order_by("order", "pk").first()
    education_attach(patient=paula, page=page, user=bob)
    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])
    assert "Clinician: bob" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        bob.first_name, bob.last_name = "Robert", "Stone"
        bob.save()
    assert "Clinician: Robert Stone" in client.get(url).content.decode()
