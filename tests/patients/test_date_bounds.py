"""Every date a form takes is bounded, with a message next to it; identifiers are visible."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.models import Patient, Treatment
from scans.models import Device, PrecisionStudy
from tests.patients.test_treatment_pages import treatment_data

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(datetime.datetime(2026, 12, 1, 12, tzinfo=datetime.UTC), tick=False):
        yield


def treatment_post(client, patient, **overrides):
    url = reverse("patients:treatment_create", args=[patient.pk])
    return client.post(url, treatment_data(**overrides))


def test_a_treatment_stop_in_year_9999_is_refused_with_a_message(alice, paula, client_for):
    response = treatment_post(client_for(alice), paula, stop="9999-12-31")
    assert response.status_code == 200
    assert response.context["form"].errors["stop"] == [
        "The stop date is more than 5 years ahead: check the year."
    ]
    assert not Treatment.objects.exists()


def test_a_planned_stop_within_the_setting_is_kept(alice, paula, client_for, settings):
    settings.PLANNED_DATE_MAX_YEARS = 2
    client = client_for(alice)
    assert treatment_post(client, paula, stop="2028-12-01").status_code == 302
    refused = treatment_post(client, paula, stop="2028-12-02")
    assert "more than 2 years ahead" in refused.context["form"].errors["stop"][0]


def test_a_treatment_start_millennia_ahead_is_refused(alice, paula, client_for):
    response = treatment_post(client_for(alice), paula, start="9999-05-01", stop="")
    assert "more than 5 years ahead" in response.context["form"].errors["start"][0]


def test_a_scanner_moved_before_1900_is_refused(alice, hologic, client_for):
    client = client_for(alice)
    url = reverse("scans:device_edit", args=[hologic.pk])
    data = {"manufacturer": "hologic", "serial": "HZ-100", "moved_on": "1850-01-01"}
    response = client.post(url, {**data, "active": "on"})
    assert response.context["form"].errors["moved_on"] == [
        "The moved or reinstalled on is before 1900: check the year."
    ]
    assert Device.objects.get().moved_on is None


def test_a_precision_study_dated_1800_is_refused(alice, hologic, client_for):
    url = reverse("scans:precision_create", args=[hologic.pk])
    values = "\n".join(f"0.{800 + n} 0.{805 + n}" for n in range(30))
    data = {"site": "lumbar_spine", "date": "1800-01-01", "values_text": values}
    response = client_for(alice).post(url, data)
    assert "before 1900" in response.context["form"].errors["date"][0]
    assert not PrecisionStudy.objects.exists()


def test_a_page_review_due_centuries_ahead_is_refused(eddie, client_for):
    from education.models import EducationPage

    page = EducationPage.objects.create(slug="walk", title="Walk", summary="s", body="b")
    client = client_for(eddie)
    url = reverse("admin:education_educationpage_change", args=[page.pk])
    data = {
        "title": "Walk",
        "slug": "walk",
        "summary": "s",
        "body": "b",
        "audience": "patients",
        "status": "draft",
        "order": "0",
        "review_due": "3026-01-01",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "more than 5 years ahead" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family_name", "Fischer\u202e"),
        ("given_name", "Pa\u200bula"),
        ("given_name", "Pau\u00a0la"),
    ],
)
def test_names_with_invisible_characters_are_refused_naming_them(
    alice, paula, client_for, field, value
):
    from tests.osteoclinic.test_concurrency import opened_form

    client = client_for(alice)
    url = reverse("patients:edit", args=[paula.pk])
    response = client.post(url, {**opened_form(client, url), field: value})
    assert response.status_code == 200
    error = response.context["form"].errors[field][0]
    assert "a character you cannot see (U+" in error
    assert Patient.objects.get(pk=paula.pk).family_name == "Fischer"


def test_a_scanner_serial_with_a_bidi_control_is_refused(alice, client_for):
    data = {"manufacturer": "ge_lunar", "serial": "\u202e001-ZH", "active": "on"}
    response = client_for(alice).post(reverse("scans:device_create"), data)
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in response.context["form"].errors["serial"][0]
    assert not Device.objects.filter(manufacturer="ge_lunar").exists()


def test_an_imported_serial_or_name_with_an_invisible_character_is_rejected_by_row():
    from exchange.csv_import.reading import parse_file

    text = (
        "mrn,family_name,scan_date,manufacturer,device_serial,site,side,bmd,t_score\n"
        "A-1,Fischer,2024-01-02,Hologic,H\u202e-1,spine,,0.800,-1.0\n"
        "A-2,Fi\u200bscher,2024-01-02,Hologic,H-1,spine,,0.800,-1.0\n"
    )
    first, second = parse_file(text, today=TODAY).rows
    assert first.errors[0][0] == "device_serial" and "U+202E" in first.errors[0][1]
    assert second.errors[0][0] == "family_name" and "U+200B" in second.errors[0][1]


def test_an_imported_scan_dated_before_1900_is_rejected_by_row():
    from exchange.csv_import.reading import parse_file

    text = "mrn,scan_date,manufacturer,device_serial,site,side,bmd,t_score\n"
    text += "A-1,1024-01-02,Hologic,H-1,spine,,0.800,-1.0\n"
    [row] = parse_file(text, today=TODAY).rows
    assert row.errors == [("scan_date", "1024-01-02 is before 1900 — check the year.")]
