"""Adding, editing and marking a fracture: what is stored, and what each mistake says."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import DatePrecision, Detection, Fracture, FractureSite, Mechanism
from patients.signals import record_changed

pytestmark = pytest.mark.django_db


def fracture_data(**overrides) -> dict:
    data = {
        "date": "2021-03-01",
        "date_precision": DatePrecision.MONTH,
        "site": FractureSite.VERTEBRAL,
        "vertebral_level": "T12",
        "genant_grade": "2",
        "mechanism": Mechanism.FRAGILITY,
        "detection": Detection.IMAGING,
        "brace": "on",
        "notes": "Found on chest X-ray.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def create_url(patient) -> str:
    return reverse("patients:fracture_create", kwargs={"pk": patient.pk})


def hip_fracture(patient, **fields) -> Fracture:
    values = {
        "date": datetime.date(2019, 8, 14),
        "site": FractureSite.HIP,
        "mechanism": Mechanism.FRAGILITY,
    }
    values.update(fields)
    return Fracture.objects.create(patient=patient, **values)


def test_alice_adds_a_vertebral_fracture(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), fracture_data())

    assert response["Location"] == f"/patients/{paula.pk}/"
    fracture = Fracture.objects.get()
    assert fracture.patient == paula
    assert fracture.date == datetime.date(2021, 3, 1)
    assert fracture.date_precision == DatePrecision.MONTH
    assert (fracture.site, fracture.vertebral_level, fracture.genant_grade) == (
        FractureSite.VERTEBRAL,
        "T12",
        2,
    )
    assert fracture.mechanism == Mechanism.FRAGILITY
    assert fracture.detection == Detection.IMAGING
    assert fracture.brace is True
    assert fracture.notes == "Found on chest X-ray."
    assert fracture.entered_in_error is False


def test_the_record_says_the_fracture_was_added(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), fracture_data(), follow=True)

    html = response.content.decode()
    assert "Fracture added." in html
    assert "March 2021" in html


def test_a_saved_fracture_is_announced_to_the_other_apps(
    alice, paula, client_for, django_capture_on_commit_callbacks
):
    heard = []

    def listener(sender, patient, **kwargs):
        heard.append((sender, patient.pk))

    record_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client_for(alice).post(create_url(paula), fracture_data())
    finally:
        record_changed.disconnect(listener)
    assert heard == [(Fracture, paula.pk)]


def test_a_hip_fracture_needs_no_level_or_grade(alice, paula, client_for):
    data = fracture_data(site=FractureSite.HIP, vertebral_level="", genant_grade="")
    client_for(alice).post(create_url(paula), data)

    fracture = Fracture.objects.get()
    assert (fracture.site, fracture.vertebral_level, fracture.genant_grade) == ("hip", "", None)


def test_a_vertebral_fracture_without_a_level_is_refused(alice, paula, client_for):
    data = fracture_data(vertebral_level="")
    response = client_for(alice).post(create_url(paula), data)

    assert response.context["form"].errors["vertebral_level"] == [
        "Choose the level (T4 to L5) of the vertebral fracture."
    ]
    assert not Fracture.objects.exists()


def test_a_vertebral_fracture_without_a_grade_is_accepted(alice, paula, client_for):
    client_for(alice).post(create_url(paula), fracture_data(genant_grade=""))

    assert Fracture.objects.get().genant_grade is None


@pytest.mark.parametrize("level", ["T3", "L6", "C7"])
def test_a_level_outside_t4_to_l5_is_refused(level, alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), fracture_data(vertebral_level=level))

    assert "vertebral_level" in response.context["form"].errors
    assert not Fracture.objects.exists()


def test_a_level_on_a_hip_fracture_is_refused_at_the_level(alice, paula, client_for):
    data = fracture_data(site=FractureSite.HIP, genant_grade="")
    response = client_for(alice).post(create_url(paula), data)

    errors = response.context["form"].errors
    assert list(errors) == ["vertebral_level"]
    assert errors["vertebral_level"][0].startswith("Only a vertebral fracture has a level")
    assert not Fracture.objects.exists()


def test_a_genant_grade_on_a_wrist_fracture_is_refused_at_the_grade(alice, paula, client_for):
    data = fracture_data(site=FractureSite.WRIST, vertebral_level="")
    response = client_for(alice).post(create_url(paula), data)

    errors = response.context["form"].errors
    assert list(errors) == ["genant_grade"]
    assert errors["genant_grade"][0].startswith("Only a vertebral fracture has a Genant grade")
    assert not Fracture.objects.exists()


def test_a_genant_grade_4_is_refused(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), fracture_data(genant_grade="4"))

    assert "genant_grade" in response.context["form"].errors
    assert not Fracture.objects.exists()


def test_a_fracture_in_the_future_is_refused(alice, paula, client_for):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(alice).post(create_url(paula), fracture_data(date=f"{tomorrow}"))

    assert response.context["form"].errors["date"] == [
        "The fracture date is in the future: check the date."
    ]
    assert not Fracture.objects.exists()


def test_a_fracture_before_birth_is_refused(alice, paula, client_for):
    response = client_for(alice).post(create_url(paula), fracture_data(date="1955-04-11"))

    assert response.context["form"].errors["date"] == [
        "The fracture date is before the patient's date of birth (1955-04-12): check the year."
    ]
    assert not Fracture.objects.exists()


def test_a_fracture_on_the_day_of_birth_is_accepted(alice, paula, client_for):
    client_for(alice).post(create_url(paula), fracture_data(date="1955-04-12"))

    assert Fracture.objects.get().date == paula.date_of_birth


def test_the_precision_is_explained_next_to_the_date(alice, paula, client_for):
    html = client_for(alice).get(create_url(paula)).content.decode()

    assert "When only the month or the year is known, enter any day in it" in html
    assert "“Month only” shows the date as, say, March 2021" in html


def test_a_refused_fracture_form_keeps_what_was_typed(alice, paula, client_for):
    data = fracture_data(vertebral_level="", notes="Typed with care.")
    html = client_for(alice).post(create_url(paula), data).content.decode()

    assert 'value="2021-03-01"' in html
    assert '<option value="month" selected>' in html
    assert '<option value="2" selected>' in html
    assert "Typed with care." in html


def test_alice_edits_a_fracture(alice, paula, client_for):
    fracture = hip_fracture(paula)
    url = reverse("patients:fracture_edit", kwargs={"fracture_pk": fracture.pk})
    data = fracture_data(
        site=FractureSite.HIP,
        vertebral_level="",
        genant_grade="",
        date="2019-08-01",
        mechanism=Mechanism.HIGH_TRAUMA,
    )
    response = client_for(alice).post(url, data, follow=True)

    fracture.refresh_from_db()
    assert fracture.date == datetime.date(2019, 8, 1)
    assert fracture.mechanism == Mechanism.HIGH_TRAUMA
    assert "Fracture saved." in response.content.decode()
    assert Fracture.objects.count() == 1


def test_editing_a_fracture_to_vertebral_without_a_level_is_refused(alice, paula, client_for):
    fracture = hip_fracture(paula)
    url = reverse("patients:fracture_edit", kwargs={"fracture_pk": fracture.pk})
    response = client_for(alice).post(url, fracture_data(vertebral_level=""))

    assert "vertebral_level" in response.context["form"].errors
    fracture.refresh_from_db()
    assert fracture.site == FractureSite.HIP


def test_alice_marks_a_fracture_entered_in_error_and_it_is_kept(alice, paula, client_for):
    fracture = hip_fracture(paula)
    url = reverse("patients:fracture_error", kwargs={"fracture_pk": fracture.pk})
    response = client_for(alice).post(url, {"reason": "  Belongs to another patient. "})

    assert response["Location"] == f"/patients/{paula.pk}/"
    assert Fracture.objects.count() == 1
    fracture.refresh_from_db()
    assert fracture.entered_in_error is True
    assert fracture.error_reason == "Belongs to another patient."


@pytest.mark.parametrize("reason", ["", "   "])
def test_marking_in_error_needs_a_reason(reason, alice, paula, client_for):
    fracture = hip_fracture(paula)
    url = reverse("patients:fracture_error", kwargs={"fracture_pk": fracture.pk})
    response = client_for(alice).post(url, {"reason": reason})

    assert response.context["form"].errors["reason"] == ["Say why this record is wrong."]
    fracture.refresh_from_db()
    assert fracture.entered_in_error is False


def test_a_fracture_entered_in_error_can_no_longer_be_edited(alice, paula, client_for):
    fracture = hip_fracture(paula, entered_in_error=True, error_reason="Duplicate.")
    client = client_for(alice)

    edit = client.get(reverse("patients:fracture_edit", kwargs={"fracture_pk": fracture.pk}))
    error = client.get(reverse("patients:fracture_error", kwargs={"fracture_pk": fracture.pk}))

    assert (edit.status_code, error.status_code) == (404, 404)


def test_a_fracture_for_a_patient_that_does_not_exist_is_not_found(alice, client_for):
    response = client_for(alice).get(reverse("patients:fracture_create", kwargs={"pk": 999}))

    assert response.status_code == 404
