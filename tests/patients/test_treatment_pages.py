"""Adding, editing and marking a treatment: what is stored, and what each mistake says."""

import datetime

import pytest
from django.urls import reverse

from patients.models import DrugClass, Treatment

pytestmark = pytest.mark.django_db


def treatment_data(**overrides) -> dict:
    data = {
        "drug_class": DrugClass.BISPHOSPHONATE,
        "name": "alendronate 70 mg weekly",
        "start": "2019-05-01",
        "stop": "2024-05-01",
        "reason_stopped": "Drug holiday after 5 years.",
        "notes": "Take fasting, upright for 30 minutes.",
    }
    data.update(overrides)
    return data


def create_url(patient) -> str:
    return reverse("patients:treatment_create", kwargs={"pk": patient.pk})


def alendronate(patient, **fields) -> Treatment:
    values = {
        "drug_class": DrugClass.BISPHOSPHONATE,
        "name": "alendronate",
        "start": datetime.date(2019, 5, 1),
    }
    values.update(fields)
    return Treatment.objects.create(patient=patient, **values)


def test_alice_adds_a_treatment(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), treatment_data(), follow=True)

    treatment = Treatment.objects.get()
    assert treatment.patient == paula
    assert treatment.drug_class == DrugClass.BISPHOSPHONATE
    assert treatment.name == "alendronate 70 mg weekly"
    assert (treatment.start, treatment.stop) == (
        datetime.date(2019, 5, 1),
        datetime.date(2024, 5, 1),
    )
    assert treatment.reason_stopped == "Drug holiday after 5 years."
    assert treatment.notes == "Take fasting, upright for 30 minutes."
    assert response.redirect_chain == [(f"/patients/{paula.pk}/", 302)]
    assert "Treatment added." in response.content.decode()


def test_an_ongoing_treatment_has_no_stop_date(alice, paula, client_for):
    data = treatment_data(stop="", reason_stopped="")
    client_for(alice).post(create_url(paula), data)

    assert Treatment.objects.get().stop is None


def test_a_treatment_stopped_and_started_the_same_day_is_accepted(alice, paula, client_for):
    client_for(alice).post(create_url(paula), treatment_data(stop="2019-05-01"))

    assert Treatment.objects.get().stop == datetime.date(2019, 5, 1)


def test_a_stop_date_before_the_start_is_refused_at_the_stop(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), treatment_data(stop="2019-04-30"))

    errors = response.context["form"].errors
    assert list(errors) == ["stop"]
    assert errors["stop"][0].startswith("The stop date is before the start date")
    assert not Treatment.objects.exists()


def test_a_start_before_birth_is_refused(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), treatment_data(start="1955-04-11"))

    assert response.context["form"].errors["start"] == [
        "The start date is before the patient's date of birth (1955-04-12): check the year."
    ]
    assert not Treatment.objects.exists()


def test_a_treatment_needs_a_drug_name(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), treatment_data(name=""))

    assert "name" in response.context["form"].errors
    assert not Treatment.objects.exists()


def test_a_refused_treatment_form_keeps_what_was_typed(alice, paula, client_for):
    html = client_for(alice).post(create_url(paula), treatment_data(stop="2019-04-30"))
    html = html.content.decode()

    assert 'value="alendronate 70 mg weekly"' in html
    assert 'value="2019-04-30"' in html
    assert 'value="Drug holiday after 5 years."' in html


def test_alice_edits_a_treatment_to_record_its_stop(alice, paula, client_for):
    treatment = alendronate(paula)
    url = reverse("patients:treatment_edit", kwargs={"treatment_pk": treatment.pk})
    data = treatment_data(name="alendronate", notes="")
    response = client_for(alice).post(url, data, follow=True)

    treatment.refresh_from_db()
    assert treatment.stop == datetime.date(2024, 5, 1)
    assert treatment.reason_stopped == "Drug holiday after 5 years."
    assert "Treatment saved." in response.content.decode()


def test_editing_a_stop_before_the_start_is_refused(alice, paula, client_for):
    treatment = alendronate(paula)
    url = reverse("patients:treatment_edit", kwargs={"treatment_pk": treatment.pk})
    response = client_for(alice).post(url, treatment_data(stop="2018-01-01"))

    assert "stop" in response.context["form"].errors
    treatment.refresh_from_db()
    assert treatment.stop is None


def test_alice_marks_a_treatment_entered_in_error_and_it_is_kept(alice, paula, client_for):
    treatment = alendronate(paula)
    url = reverse("patients:treatment_error", kwargs={"treatment_pk": treatment.pk})
    client_for(alice).post(url, {"reason": "Never started: prescription not filled."})

    treatment.refresh_from_db()
    assert treatment.entered_in_error is True
    assert treatment.error_reason == "Never started: prescription not filled."
    assert Treatment.objects.count() == 1


def test_marking_a_treatment_in_error_needs_a_reason(alice, paula, client_for):
    treatment = alendronate(paula)
    url = reverse("patients:treatment_error", kwargs={"treatment_pk": treatment.pk})
    response = client_for(alice).post(url, {})

    assert response.context["form"].errors["reason"] == ["Say why this record is wrong."]
    treatment.refresh_from_db()
    assert treatment.entered_in_error is False
