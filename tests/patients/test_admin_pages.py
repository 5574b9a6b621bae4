"""The admin pages for fractures, heights and treatments."""

import datetime

import pytest
from django.urls import reverse

from patients.models import Fracture, HeightMeasurement, Treatment

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(paula, pete):
    Fracture.objects.create(
        patient=paula, date=datetime.date(2021, 1, 1), site="hip", mechanism="fragility"
    )
    HeightMeasurement.objects.create(patient=paula, date=datetime.date(2024, 1, 1), cm=160)
    Treatment.objects.create(
        patient=pete,
        drug_class="bisphosphonate",
        name="risedronate",
        start=datetime.date(2020, 1, 1),
    )


@pytest.mark.parametrize("model", ["fracture", "heightmeasurement", "treatment"])
def test_an_administrator_finds_records_by_the_patients_mrn(model, admin_user, records, client_for):
    url = reverse(f"admin:patients_{model}_changelist")
    client = client_for(admin_user)

    found = client.get(url, {"q": "mrn-paula"})
    everything = client.get(url)

    assert found.status_code == everything.status_code == 200
    expected = 0 if model == "treatment" else 1
    assert found.context["cl"].result_count == expected
    assert everything.context["cl"].result_count == 1


@pytest.mark.parametrize("model", ["fracture", "heightmeasurement", "treatment"])
def test_an_administrator_sees_each_records_history(model, admin_user, records, client_for):
    record = {"fracture": Fracture, "heightmeasurement": HeightMeasurement, "treatment": Treatment}[
        model
    ].objects.get()
    url = reverse(f"admin:patients_{model}_history", kwargs={"object_id": record.pk})

    assert client_for(admin_user).get(url).status_code == 200


@pytest.mark.parametrize("model", ["fracture", "heightmeasurement", "treatment"])
def test_an_education_editor_cannot_open_clinical_records_in_the_admin(
    model, eddie, records, client_for
):
    response = client_for(eddie).get(reverse(f"admin:patients_{model}_changelist"))

    assert response.status_code == 403
