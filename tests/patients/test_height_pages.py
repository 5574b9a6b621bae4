"""Adding, editing and marking a height: what is stored, and what each mistake says."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import HeightMeasurement

pytestmark = pytest.mark.django_db

RANGE_MESSAGE = (
    "Enter a height between 50 and 250 cm, to one decimal (centimetres, not inches or metres)."
)


def create_url(patient) -> str:
    return reverse("patients:height_create", kwargs={"pk": patient.pk})


def test_alice_adds_a_measured_height(alice, paula, client_for):
    data = {"date": "2024-02-05", "cm": "161.4", "measured": "on"}
    response = client_for(alice).post(create_url(paula), data, follow=True)

    height = HeightMeasurement.objects.get()
    assert (height.patient, height.date, height.cm, height.measured) == (
        paula,
        datetime.date(2024, 2, 5),
        Decimal("161.4"),
        True,
    )
    assert response.redirect_chain == [(f"/patients/{paula.pk}/", 302)]
    assert "Height added." in response.content.decode()


def test_alice_adds_a_self_reported_height(alice, paula, client_for):
    client_for(alice).post(create_url(paula), {"date": "1980-01-01", "cm": "168"})

    height = HeightMeasurement.objects.get()
    assert (height.cm, height.measured) == (Decimal("168.0"), False)


@pytest.mark.parametrize("cm", ["49.9", "250.1", "300", "1620", "1.62"])
def test_a_height_outside_50_to_250_cm_is_refused(cm, alice, paula, client_for):
    data = {"date": "2024-02-05", "cm": cm, "measured": "on"}
    response = client_for(alice).post(create_url(paula), data)

    assert response.context["form"].errors["cm"] == [RANGE_MESSAGE]
    assert not HeightMeasurement.objects.exists()


@pytest.mark.parametrize("cm", ["50", "250"])
def test_the_height_limits_themselves_are_accepted(cm, alice, paula, client_for):
    client_for(alice).post(create_url(paula), {"date": "2024-02-05", "cm": cm})

    assert HeightMeasurement.objects.get().cm == Decimal(cm)


def test_a_height_in_the_future_is_refused(alice, paula, client_for):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(alice).post(create_url(paula), {"date": f"{tomorrow}", "cm": "160"})

    assert response.context["form"].errors["date"] == [
        "The date of the height is in the future: check the date."
    ]
    assert not HeightMeasurement.objects.exists()


def test_a_height_before_birth_is_refused(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), {"date": "1950-01-01", "cm": "160"})

    assert "before the patient's date of birth" in response.context["form"].errors["date"][0]
    assert not HeightMeasurement.objects.exists()


def test_a_refused_height_form_keeps_what_was_typed(alice, paula, client_for):
    data = {"date": "2024-02-05", "cm": "300", "measured": "on"}
    html = client_for(alice).post(create_url(paula), data).content.decode()

    assert 'value="2024-02-05"' in html
    assert 'value="300"' in html


def test_alice_edits_a_height(alice, paula, client_for):
    height = paula.heights.create(date=datetime.date(2024, 2, 5), cm=Decimal("146.1"))
    url = reverse("patients:height_edit", kwargs={"height_pk": height.pk})
    client_for(alice).post(url, {"date": "2024-02-05", "cm": "164.1", "measured": "on"})

    height.refresh_from_db()
    assert height.cm == Decimal("164.1")


def test_alice_marks_a_height_entered_in_error_and_it_is_kept(alice, paula, client_for):
    height = paula.heights.create(date=datetime.date(2024, 2, 5), cm=Decimal("164.0"))
    url = reverse("patients:height_error", kwargs={"height_pk": height.pk})
    response = client_for(alice).post(url, {"reason": "Measured with shoes on."}, follow=True)

    height.refresh_from_db()
    assert (height.entered_in_error, height.error_reason) == (True, "Measured with shoes on.")
    assert HeightMeasurement.objects.count() == 1
    assert "Height marked as entered in error." in response.content.decode()


def test_marking_a_height_in_error_needs_a_reason(alice, paula, client_for):
    height = paula.heights.create(date=datetime.date(2024, 2, 5), cm=Decimal("164.0"))
    url = reverse("patients:height_error", kwargs={"height_pk": height.pk})
    response = client_for(alice).post(url, {"reason": ""})

    assert response.context["form"].errors["reason"] == ["Say why this record is wrong."]
    height.refresh_from_db()
    assert height.entered_in_error is False


def test_a_refused_edit_still_names_the_height_as_stored(alice, paula, client_for):
    height = paula.heights.create(date=datetime.date(2024, 2, 5), cm=Decimal("164.0"))
    url = reverse("patients:height_edit", kwargs={"height_pk": height.pk})
    response = client_for(alice).post(url, {"date": "2024-02-05", "cm": "1640"})

    assert "Edit height: 164.0 cm (measured) on 2024-02-05" in response.content.decode()
