"""Fracture, height, treatment and scanner edits by two people at once: nothing is lost."""

import datetime

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from patients.models import Fracture, FractureSite, HeightMeasurement, Mechanism, Treatment
from scans.models import Device
from tests.at_once import post_at_once
from tests.conftest import make_user
from tests.osteoclinic.test_concurrency import opened_form


@pytest.fixture
def bob(db):
    from patients.access import CLINICIANS

    return make_user("bob", CLINICIANS)


def two_open_forms(alice, bob, url):
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    return first, second, opened_form(first, url), opened_form(second, url)


def fracture_of(patient) -> Fracture:
    return Fracture.objects.create(
        patient=patient,
        date=datetime.date(2019, 8, 14),
        site=FractureSite.HIP,
        mechanism=Mechanism.FRAGILITY,
        notes="Fell in the garden.",
    )


def treatment_of(patient) -> Treatment:
    return Treatment.objects.create(
        patient=patient, drug_class="bisphosphonate", name="alendronate", start="2020-01-01"
    )


def height_of(patient) -> HeightMeasurement:
    return HeightMeasurement.objects.create(patient=patient, date="2022-02-02", cm="160.0")


# Each edit form: its URL, a field each of the two people changes, and the values.
CASES = {
    "fracture": (
        fracture_of,
        "patients:fracture_edit",
        ("notes", "Tripped on a kerb.", "Slipped on ice."),
        ("brace", "on", True),
    ),
    "treatment": (
        treatment_of,
        "patients:treatment_edit",
        ("name", "risedronate", "ibandronate"),
        ("notes", "Weekly.", "Weekly."),
    ),
    "height": (
        height_of,
        "patients:height_edit",
        ("cm", "158.5", "157.0"),
        ("date", "2022-03-03", datetime.date(2022, 3, 3)),
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CASES)
def test_changes_to_different_fields_of_a_record_are_both_kept(alice, bob, paula, kind):
    make, url_name, (field, alice_value, _), (other, bob_value, stored) = CASES[kind]
    record = make(paula)
    url = reverse(url_name, args=[record.pk])
    first, second, alice_form, bob_form = two_open_forms(alice, bob, url)
    assert first.post(url, {**alice_form, field: alice_value}).status_code == 302
    assert second.post(url, {**bob_form, other: bob_value}).status_code == 302
    record.refresh_from_db()
    assert (str(getattr(record, field)), getattr(record, other)) == (alice_value, stored)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", CASES)
def test_the_same_field_changed_twice_stops_the_second_and_shows_the_first_value(
    alice, bob, paula, kind
):
    make, url_name, (field, alice_value, bob_value), _ = CASES[kind]
    record = make(paula)
    url = reverse(url_name, args=[record.pk])
    first, second, alice_form, bob_form = two_open_forms(alice, bob, url)
    assert first.post(url, {**alice_form, field: alice_value}).status_code == 302

    response = second.post(url, {**bob_form, field: bob_value})
    assert response.status_code == 200
    form = response.context["form"]
    assert "changed by someone else by alice" in str(form.non_field_errors())
    assert f"Saved meanwhile by alice: “{alice_value}”" in form.errors[field][0]
    page = response.content.decode()
    assert bob_value in page  # what bob typed stays in the box
    record.refresh_from_db()
    assert str(getattr(record, field)) == alice_value

    # Bob has seen alice's value: saving again is deliberate and keeps his.
    assert second.post(url, dict(form.data.items())).status_code == 302
    record.refresh_from_db()
    assert str(getattr(record, field)) == bob_value


@pytest.mark.django_db
def test_a_record_marked_in_error_meanwhile_is_not_edited_back(alice, bob, paula):
    fracture = fracture_of(paula)
    url = reverse("patients:fracture_edit", args=[fracture.pk])
    first, _, alice_form, _ = two_open_forms(alice, bob, url)
    fracture.mark_entered_in_error("wrong patient")
    assert first.post(url, {**alice_form, "notes": "Changed."}).status_code == 404


@pytest.mark.django_db
def test_a_scanner_edited_by_two_keeps_both_and_stops_the_same_field(alice, bob, hologic):
    url = reverse("scans:device_edit", args=[hologic.pk])
    first, second, alice_form, bob_form = two_open_forms(alice, bob, url)
    assert first.post(url, {**alice_form, "location": "Room 2"}).status_code == 302
    assert second.post(url, {**bob_form, "model": "Horizon W"}).status_code == 302
    hologic.refresh_from_db()
    assert (hologic.location, hologic.model) == ("Room 2", "Horizon W")

    first, second, alice_form, bob_form = two_open_forms(alice, bob, url)
    assert first.post(url, {**alice_form, "location": "Room 3"}).status_code == 302
    response = second.post(url, {**bob_form, "location": "Room 4"})
    assert response.status_code == 200
    assert "Saved meanwhile by alice: “Room 3”" in response.context["form"].errors["location"][0]
    assert Device.objects.get(pk=hologic.pk).location == "Room 3"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", CASES)
def test_on_postgresql_two_simultaneous_saves_of_one_field_keep_one_and_stop_one(
    alice, bob, paula, kind
):
    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (run with DATABASE_URL).")
    make, url_name, (field, alice_value, bob_value), _ = CASES[kind]
    record = make(paula)
    url = reverse(url_name, args=[record.pk])
    first, second, alice_form, bob_form = two_open_forms(alice, bob, url)
    results = post_at_once(
        {
            "alice": (first, url, {**alice_form, field: alice_value}),
            "bob": (second, url, {**bob_form, field: bob_value}),
        }
    )
    assert sorted(results.values()) == [200, 302]
    winner = next(name for name, status in results.items() if status == 302)
    record.refresh_from_db()
    assert str(getattr(record, field)) == {"alice": alice_value, "bob": bob_value}[winner]


def admin_form(client, url) -> dict:
    form = client.get(url).context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


@pytest.mark.django_db
def test_the_admins_change_form_has_the_same_guard(admin_user, paula):
    other = make_user("root2", is_staff=True, is_superuser=True)
    fracture = fracture_of(paula)
    url = reverse("admin:patients_fracture_change", args=[fracture.pk])
    first, second = Client(), Client()
    first.force_login(admin_user)
    second.force_login(other)
    mine, theirs = admin_form(first, url), admin_form(second, url)
    assert mine["loaded_version"]
    assert first.post(url, {**mine, "notes": "Admin one."}).status_code == 302
    response = second.post(url, {**theirs, "notes": "Admin two."})
    assert response.status_code == 200
    assert "Saved meanwhile by admin: “Admin one.”" in response.content.decode()
    fracture.refresh_from_db()
    assert fracture.notes == "Admin one."


@pytest.mark.django_db
def test_two_editors_changing_one_education_page_keep_both_fields(eddie):
    from education.models import EducationPage
    from patients.access import EDITORS

    edna = make_user("edna", EDITORS, is_staff=True)
    page = EducationPage.objects.create(slug="walk", title="Walk", summary="s", body="b")
    url = reverse("admin:education_educationpage_change", args=[page.pk])
    first, second = Client(), Client()
    first.force_login(eddie)
    second.force_login(edna)
    mine, theirs = admin_form(first, url), admin_form(second, url)
    assert first.post(url, {**mine, "title": "Walking"}).status_code == 302
    assert second.post(url, {**theirs, "summary": "Why walking helps."}).status_code == 302
    page.refresh_from_db()
    assert (page.title, page.summary) == ("Walking", "Why walking helps.")
    mine = admin_form(first, url)
    theirs = admin_form(second, url)
    assert first.post(url, {**mine, "body": "One."}).status_code == 302
    response = second.post(url, {**theirs, "body": "Two."})
    assert response.status_code == 200 and "Saved meanwhile by eddie" in response.content.decode()
    page.refresh_from_db()
    assert page.body == "One."
