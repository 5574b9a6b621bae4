"""Generated bad input on alice's patient pages: a message or a clean save, never a 500."""

import datetime

import pytest
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from patients.forms import (
    FractureForm,
    HeightForm,
    PatientForm,
    SymptomReportForm,
    TreatmentForm,
)
from patients.models import (
    DrugClass,
    Fracture,
    FractureSite,
    HeightMeasurement,
    Mechanism,
    Menopause,
    Patient,
    Sex,
    SymptomReport,
    Treatment,
)
from scans.models import DexaScan, SiteMeasurement
from tests.fuzz import (
    FUZZ,
    any_text,
    assert_answered,
    assert_holds,
    assert_opens,
    assert_refused_with_a_message,
    checkbox,
    clinic_counts,
    date_text,
    form_data,
    number_text,
    rolled_back,
    sometimes_missing,
    symptom_post,
    text_or,
)

# Real dates a clinician might type, as the date picker sends them.
plausible_day = st.dates(datetime.date(1890, 1, 1), datetime.date.today()).map(
    datetime.date.isoformat
)
some_date = st.one_of(plausible_day, date_text)

patient_post = form_data(
    mrn=text_or("MRN-NEW-1", "MRN-PAULA", "mrn-paula", " mrn-new-2 ", "A" * 32, "A" * 33),
    family_name=text_or("Nguyen", "O'Brien", "N" * 100, "N" * 101),
    given_name=text_or("Mai", "Zoë"),
    date_of_birth=some_date,
    sex=sometimes_missing(text_or(*Sex.values)),
    menopause=sometimes_missing(text_or(*Menopause.values)),
    email=sometimes_missing(text_or("mai@example.org", "not-an-email", "a@b")),
    low_calcium_vitamin_d=checkbox,
    smoking=checkbox,
    glucocorticoids=checkbox,
    glucocorticoid_dose_mg=sometimes_missing(number_text("0", "1000", 1)),
    falls_last_year=checkbox,
    clinician_notes=sometimes_missing(any_text),
)


@pytest.fixture
def paula_with_a_scan(paula, hologic):
    """Paula, scanned on 3 March 2023: her date of birth may not move after that."""
    scan = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2023, 3, 3))
    SiteMeasurement.objects.create(
        scan=scan, site="lumbar_spine", vertebrae="L1-L4", bmd="0.812", t_score="-2.7"
    )
    return paula


@FUZZ
@given(data=patient_post)
def test_a_new_patient_is_refused_with_a_message_or_saved_as_typed(client_for, alice, paula, data):
    client = client_for(alice)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("patients:create"), data)
        patient = assert_answered(response, before, Patient)
        if patient is not None:
            assert_holds(patient, PatientForm, data, normalise={"mrn": str.upper})
            assert_opens(client, response)


PAULA_AS_OPENED = {
    "mrn": "MRN-PAULA",
    "family_name": "Fischer",
    "given_name": "Paula",
    "date_of_birth": "1955-04-12",
    "sex": "female",
    "menopause": "post",
    "email": "",
    "glucocorticoid_dose_mg": "",
    "clinician_notes": "",
}


def edit_post(**changes):
    """Paula's edit form as it was opened, with some fields changed to generated values."""
    return st.fixed_dictionaries(changes).map(lambda changed: {**PAULA_AS_OPENED, **changed})


@FUZZ
@given(
    data=st.one_of(
        edit_post(date_of_birth=some_date),
        edit_post(mrn=any_text, family_name=any_text, clinician_notes=any_text),
        patient_post,
    )
)
# Born after her scan of 3 March 2023: the database's trigger refuses it; the form must first.
@example(data={**PAULA_AS_OPENED, "date_of_birth": "2024-01-01"})
def test_an_edited_patient_is_refused_with_a_message_or_saved_as_typed(
    client_for, alice, paula_with_a_scan, data
):
    client = client_for(alice)
    paula = paula_with_a_scan
    url = reverse("patients:edit", args=[paula.pk])
    with rolled_back():
        opened = client.get(url).context["form"]
        # The hidden fields of the form as opened (the version it was opened at).
        hidden = {field.html_name: field.value() or "" for field in opened.hidden_fields()}
        data = {**hidden, **data}
        before = clinic_counts()
        response = client.post(url, data)
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            paula.refresh_from_db()
            assert_holds(paula, PatientForm, data, normalise={"mrn": str.upper})
            assert_opens(client, response)
        else:
            assert_refused_with_a_message(response, before)


fracture_post = form_data(
    date=some_date,
    date_precision=sometimes_missing(text_or("day", "month", "year")),
    site=text_or(*FractureSite.values),
    vertebral_level=sometimes_missing(text_or("", "T4", "L5", "T3", "L6")),
    genant_grade=sometimes_missing(text_or("", "1", "3", "0", "4", "-1")),
    mechanism=text_or(*Mechanism.values),
    detection=sometimes_missing(text_or("clinical", "imaging")),
    brace=checkbox,
    notes=sometimes_missing(any_text),
)
height_post = form_data(
    date=some_date,
    cm=number_text("50", "250", 1),
    measured=checkbox,
)
treatment_post = form_data(
    drug_class=text_or(*DrugClass.values),
    name=text_or("alendronate", "x" * 100, "x" * 101),
    start=some_date,
    stop=sometimes_missing(st.one_of(st.just(""), some_date)),
    reason_stopped=sometimes_missing(any_text),
    notes=sometimes_missing(any_text),
)
RECORDS = {
    "fracture": ("patients:fracture_create", Fracture, FractureForm, fracture_post),
    "height": ("patients:height_create", HeightMeasurement, HeightForm, height_post),
    "treatment": ("patients:treatment_create", Treatment, TreatmentForm, treatment_post),
}


@pytest.mark.parametrize("kind", RECORDS)
@FUZZ
@given(draw=st.data())
def test_a_new_record_is_refused_with_a_message_or_saved_as_typed(
    client_for, alice, paula, kind, draw
):
    url_name, model, form_class, posts = RECORDS[kind]
    client = client_for(alice)
    data = draw.draw(posts, label="data")
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse(url_name, args=[paula.pk]), data)
        record = assert_answered(response, before, model)
        if record is not None:
            assert record.patient == paula
            assert_holds(record, form_class, data)
            assert_opens(client, response)


ERROR_KINDS = {
    "fracture": (
        "patients:fracture_error",
        "fracture_pk",
        lambda paula: paula.fractures.create(
            date="2021-03-01", site="wrist", mechanism="fragility"
        ),
    ),
    "height": (
        "patients:height_error",
        "height_pk",
        lambda paula: paula.heights.create(date="2022-05-04", cm="161.5"),
    ),
    "treatment": (
        "patients:treatment_error",
        "treatment_pk",
        lambda paula: paula.treatments.create(
            drug_class="bisphosphonate", name="alendronate", start="2022-01-10"
        ),
    ),
}


@pytest.mark.parametrize("kind", ERROR_KINDS)
@FUZZ
@given(data=form_data(reason=sometimes_missing(text_or("entered on the wrong patient"))))
def test_a_record_is_marked_entered_in_error_only_with_a_reason(
    client_for, alice, paula, kind, data
):
    url_name, key, create = ERROR_KINDS[kind]
    client = client_for(alice)
    with rolled_back():
        record = create(paula)
        before = clinic_counts()
        response = client.post(reverse(url_name, kwargs={key: record.pk}), data)
        assert response.status_code in (200, 302)
        record.refresh_from_db()
        if response.status_code == 302:
            assert record.entered_in_error
            assert record.error_reason == data["reason"].strip()
            assert_opens(client, response)
        else:
            assert_refused_with_a_message(response, before)
            assert not record.entered_in_error


@FUZZ
@given(data=symptom_post)
def test_alice_reports_symptoms_for_paula_with_a_message_or_a_clean_save(
    client_for, alice, paula, data
):
    client = client_for(alice)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("patients:symptom_create", args=[paula.pk]), data)
        report = assert_answered(response, before, SymptomReport)
        if report is not None:
            assert (report.patient, report.source, report.entered_by) == (paula, "clinician", alice)
            assert_holds(report, SymptomReportForm, data)
            assert_opens(client, response)
