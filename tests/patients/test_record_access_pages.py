"""Nobody but a clinician changes a record: a refused post saves nothing."""

import datetime

import pytest
from django.urls import reverse

from patients.models import Fracture, HeightMeasurement, Patient, Treatment

pytestmark = pytest.mark.django_db


@pytest.fixture
def paulas_records(paula):
    return {
        "fracture": Fracture.objects.create(
            patient=paula, date=datetime.date(2021, 1, 1), site="hip", mechanism="fragility"
        ),
        "height": HeightMeasurement.objects.create(
            patient=paula, date=datetime.date(2024, 1, 1), cm=160
        ),
        "treatment": Treatment.objects.create(
            patient=paula, drug_class="denosumab", name="denosumab", start=datetime.date(2024, 1, 1)
        ),
    }


def posts(paula, records):
    """Each form's URL with data that a clinician could save."""
    fracture = {
        "date": "2022-01-01",
        "date_precision": "day",
        "site": "rib",
        "mechanism": "fragility",
        "detection": "clinical",
    }
    height = {"date": "2024-06-01", "cm": "150", "measured": "on"}
    treatment = {"drug_class": "other", "name": "changed", "start": "2024-01-01"}
    patient = {
        "mrn": "MRN-NEW",
        "family_name": "New",
        "given_name": "Person",
        "date_of_birth": "1950-01-01",
        "sex": "female",
        "menopause": "post",
    }
    error = {"reason": "Not really."}
    pk = {"pk": paula.pk}
    return [
        (reverse("patients:create"), patient),
        (reverse("patients:edit", kwargs=pk), {**patient, "mrn": "MRN-PAULA"}),
        (reverse("patients:fracture_create", kwargs=pk), fracture),
        (reverse("patients:fracture_edit", args=[records["fracture"].pk]), fracture),
        (reverse("patients:fracture_error", args=[records["fracture"].pk]), error),
        (reverse("patients:height_create", kwargs=pk), height),
        (reverse("patients:height_edit", args=[records["height"].pk]), height),
        (reverse("patients:height_error", args=[records["height"].pk]), error),
        (reverse("patients:treatment_create", kwargs=pk), treatment),
        (reverse("patients:treatment_edit", args=[records["treatment"].pk]), treatment),
        (reverse("patients:treatment_error", args=[records["treatment"].pk]), error),
    ]


def snapshot():
    return [
        list(model.objects.order_by("pk").values())
        for model in (Patient, Fracture, HeightMeasurement, Treatment)
    ]


@pytest.mark.parametrize("who", ["eddie", "paula"])
def test_editors_and_patients_are_refused_every_form_and_nothing_changes(
    who, request, paula, paulas_records, client_for
):
    user = request.getfixturevalue("eddie") if who == "eddie" else paula.user
    client = client_for(user)
    before = snapshot()

    statuses = {
        url: client.post(url, data).status_code for url, data in posts(paula, paulas_records)
    }

    assert set(statuses.values()) == {403}, statuses
    assert snapshot() == before


def test_an_anonymous_visitor_is_sent_to_sign_in_and_nothing_changes(
    paula, paulas_records, client_for
):
    client = client_for(None)
    before = snapshot()

    for url, data in posts(paula, paulas_records):
        response = client.post(url, data)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert snapshot() == before


def test_the_same_posts_succeed_for_alice(alice, paula, paulas_records, client_for):
    client = client_for(alice)

    statuses = [client.post(url, data).status_code for url, data in posts(paula, paulas_records)]

    assert set(statuses) == {302}
