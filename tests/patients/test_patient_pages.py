"""Adding and editing a patient: what is stored, and what each mistake says."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Menopause, Patient, Sex
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db

CREATE_URL = reverse("patients:create")


def patient_data(**overrides) -> dict:
    data = {
        "mrn": "MRN-0042",
        "family_name": "Moreau",
        "given_name": "Hélène",
        "date_of_birth": "1951-06-30",
        "sex": Sex.FEMALE,
        "menopause": Menopause.POST,
        "email": "helene@example.org",
        "smoking": "on",
        "glucocorticoids": "on",
        "glucocorticoid_dose_mg": "7.5",
        "clinician_notes": "Prefers morning appointments.",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_alice_adds_a_patient_and_lands_on_the_record(alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data())

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert (patient.mrn, patient.family_name, patient.given_name) == (
        "MRN-0042",
        "Moreau",
        "Hélène",
    )
    assert patient.date_of_birth == datetime.date(1951, 6, 30)
    assert (patient.sex, patient.menopause) == (Sex.FEMALE, Menopause.POST)
    assert patient.email == "helene@example.org"
    assert patient.smoking and patient.glucocorticoids
    assert not (patient.alcohol or patient.sedentary or patient.falls_last_year)
    assert patient.glucocorticoid_dose_mg == Decimal("7.5")
    assert patient.clinician_notes == "Prefers morning appointments."
    assert patient.user is None


def test_the_record_page_says_the_patient_was_added(alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(), follow=True)

    assert "Patient Moreau, Hélène added." in response.content.decode()


def test_the_mrn_is_trimmed_and_stored_in_capitals(alice, client_for):
    client_for(alice).post(CREATE_URL, patient_data(mrn="  mrn-0042 "))

    assert Patient.objects.get().mrn == "MRN-0042"


def test_an_mrn_used_in_another_case_names_its_holder(alice, paula, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(mrn=" mrn-paula "))

    errors = response.context["form"].errors
    assert list(errors) == ["mrn"], "one message, at the MRN, not a constraint's name"
    assert errors["mrn"] == ["MRN mrn-paula is already used by Fischer, Paula."]
    assert Patient.objects.count() == 1


def test_an_mrn_with_spaces_inside_is_refused(alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(mrn="MRN 42"))

    assert "letters, digits and dashes" in response.context["form"].errors["mrn"][0]
    assert not Patient.objects.exists()


def test_a_date_of_birth_in_the_future_is_refused(alice, client_for):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = client_for(alice).post(CREATE_URL, patient_data(date_of_birth=f"{tomorrow}"))

    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth is in the future: check the date."
    ]
    assert not Patient.objects.exists()


def test_a_date_of_birth_before_1900_is_refused(alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(date_of_birth="1899-12-31"))

    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth is before 1900: check the year."
    ]
    assert not Patient.objects.exists()


def test_a_glucocorticoid_dose_needs_glucocorticoids_ticked(alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(glucocorticoids=None))

    errors = response.context["form"].errors
    assert list(errors) == ["glucocorticoid_dose_mg"]
    assert "tick it, or clear the dose" in errors["glucocorticoid_dose_mg"][0]
    assert not Patient.objects.exists()


@pytest.mark.parametrize("dose", ["0", "-5", "1000.1"])
def test_a_glucocorticoid_dose_out_of_range_is_refused(dose, alice, client_for):
    response = client_for(alice).post(CREATE_URL, patient_data(glucocorticoid_dose_mg=dose))

    assert response.context["form"].errors["glucocorticoid_dose_mg"] == [
        "Enter a daily dose above 0 and at most 1000 mg, or leave it empty."
    ]
    assert not Patient.objects.exists()


def test_glucocorticoids_without_a_known_dose_are_accepted(alice, client_for):
    client_for(alice).post(CREATE_URL, patient_data(glucocorticoid_dose_mg=""))

    patient = Patient.objects.get()
    assert patient.glucocorticoids and patient.glucocorticoid_dose_mg is None


def test_a_male_patient_must_have_menopause_not_applicable(alice, client_for):
    data = patient_data(sex=Sex.MALE, menopause=Menopause.POST)
    response = client_for(alice).post(CREATE_URL, data)

    assert response.context["form"].errors["menopause"] == [
        "Menopausal status does not apply to a male patient: choose “Not applicable”."
    ]
    assert not Patient.objects.exists()


def test_a_male_patient_with_menopause_not_applicable_is_saved(alice, client_for):
    data = patient_data(sex=Sex.MALE, menopause=Menopause.NOT_APPLICABLE)
    client_for(alice).post(CREATE_URL, data)

    assert Patient.objects.get().sex == Sex.MALE


def test_a_refused_form_keeps_what_was_typed(alice, client_for):
    data = patient_data(sex=Sex.MALE, clinician_notes="Typed with care.")
    response = client_for(alice).post(CREATE_URL, data)

    html = response.content.decode()
    assert 'value="MRN-0042"' in html
    assert 'value="Moreau"' in html
    assert 'value="1951-06-30"' in html
    assert "Typed with care." in html
    assert "Nothing was saved yet." in html


def test_alice_edits_a_patient(alice, paula, client_for):
    url = reverse("patients:edit", kwargs={"pk": paula.pk})
    data = patient_data(
        mrn="MRN-PAULA", family_name="Fischer", given_name="Paula", date_of_birth="1955-04-12"
    )
    response = client_for(alice).post(url, data)

    paula.refresh_from_db()
    assert response["Location"] == f"/patients/{paula.pk}/"
    assert paula.email == "helene@example.org"
    assert paula.glucocorticoid_dose_mg == Decimal("7.5")
    assert paula.user is not None, "editing the details keeps the portal account linked"


def test_editing_keeps_the_patients_own_mrn_in_another_case(alice, paula, client_for):
    url = reverse("patients:edit", kwargs={"pk": paula.pk})
    data = patient_data(mrn="mrn-paula", date_of_birth="1955-04-12")
    response = client_for(alice).post(url, data)

    assert response.status_code == 302
    paula.refresh_from_db()
    assert paula.mrn == "MRN-PAULA"


def test_editing_to_another_patients_mrn_is_refused(alice, paula, pete, client_for):
    url = reverse("patients:edit", kwargs={"pk": paula.pk})
    response = client_for(alice).post(url, patient_data(mrn="Mrn-Pete"))

    assert response.context["form"].errors["mrn"] == [
        "MRN Mrn-Pete is already used by Okafor, Pete."
    ]
    paula.refresh_from_db()
    assert paula.mrn == "MRN-PAULA"


def test_the_edit_form_shows_the_stored_values(alice, client_for):
    patient = make_patient("MRN-7", family_name="Adeyemi", clinician_notes="Lives alone.")
    response = client_for(alice).get(reverse("patients:edit", kwargs={"pk": patient.pk}))

    html = response.content.decode()
    assert 'value="MRN-7"' in html
    assert 'value="Adeyemi"' in html
    assert "Lives alone." in html
    assert "Clinician notes (not shown to the patient)" in html


def test_editing_a_patient_that_does_not_exist_is_not_found(alice, client_for):
    response = client_for(alice).get(reverse("patients:edit", kwargs={"pk": 999}))

    assert response.status_code == 404


def test_a_refused_edit_still_names_the_patient_as_stored(alice, paula, client_for):
    url = reverse("patients:edit", kwargs={"pk": paula.pk})
    data = patient_data(family_name="Typo", date_of_birth="1899-01-01")
    html = client_for(alice).post(url, data).content.decode()

    assert "Edit Fischer, Paula" in html
    assert 'value="Typo"' in html
