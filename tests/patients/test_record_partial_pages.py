"""The parts of the patient record page that the patients app provides."""

import datetime
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from patients.models import (
    DatePrecision,
    Detection,
    Fracture,
    FractureSite,
    HeightMeasurement,
    Mechanism,
    Treatment,
)
from patients.stature import Height, height_loss
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db


def render(template: str, patient, **context) -> str:
    return render_to_string(f"patients/{template}", {"patient": patient, **context})


def test_the_details_show_identity_risk_factors_and_links(paula):
    paula.email = "paula@example.org"
    paula.glucocorticoids = True
    paula.glucocorticoid_dose_mg = Decimal("7.5")
    paula.family_history = True
    html = render("_record_header.html", paula)

    # The page's heading with the name is above what needs action, outside the details.
    assert "<h1" not in html and "<h2" in html
    assert "MRN-PAULA" in html
    assert f"1955-04-12 (age {paula.age})" in html
    assert "Female" in html and "Postmenopausal" in html
    assert "paula@example.org" in html
    assert "Long-term glucocorticoids (3 months or more)" in html
    assert "Family history of osteoporosis or hip fracture" in html
    assert "7.5 mg/day prednisolone-equivalent" in html
    assert reverse("patients:edit", kwargs={"pk": paula.pk}) in html
    assert reverse("patients:history", kwargs={"pk": paula.pk}) in html


def test_the_header_says_whether_the_patient_has_a_portal_account(paula):
    without = make_patient("MRN-NOPORTAL")

    assert 'Portal user</dt><dd class="col-sm-7">Yes' in render("_record_header.html", paula)
    assert 'Portal user</dt><dd class="col-sm-7">No' in render("_record_header.html", without)


def test_the_header_labels_the_clinician_notes_as_hidden_from_the_patient(paula):
    paula.clinician_notes = "Anxious about falls; daughter attends."
    html = render("_record_header.html", paula)

    assert "Clinician notes (not shown to the patient)" in html
    assert "Anxious about falls; daughter attends." in html


def test_the_header_says_when_no_risk_factor_is_recorded(paula):
    assert "None recorded." in render("_record_header.html", paula)


def test_the_fractures_table_shows_each_fracture(paula):
    fracture = Fracture.objects.create(
        patient=paula,
        date=datetime.date(2021, 3, 15),
        date_precision=DatePrecision.MONTH,
        site=FractureSite.VERTEBRAL,
        vertebral_level="L1",
        genant_grade=2,
        mechanism=Mechanism.FRAGILITY,
        detection=Detection.IMAGING,
        brace=True,
    )
    html = render("_fractures.html", paula, fractures=paula.fractures.valid())

    assert "March 2021" in html and "15 March" not in html
    assert "L1 vertebral" in html
    assert "Fragility (low trauma)" in html
    assert "Grade 2 – moderate (over 25% to 40%)" in html
    assert "Found on imaging" in html
    assert "<td>Yes</td>" in html
    assert reverse("patients:fracture_edit", kwargs={"fracture_pk": fracture.pk}) in html
    assert reverse("patients:fracture_error", kwargs={"fracture_pk": fracture.pk}) in html
    assert reverse("patients:fracture_create", kwargs={"pk": paula.pk}) in html
    assert "Add fracture" in html
    assert '<th scope="col">Date</th>' in html


def test_the_fractures_card_says_when_there_are_none(paula):
    html = render("_fractures.html", paula, fractures=Fracture.objects.none())

    assert "No fractures recorded." in html
    assert "Add fracture" in html


def test_the_heights_card_shows_heights_and_the_height_loss(paula):
    tallest = HeightMeasurement.objects.create(
        patient=paula, date=datetime.date(1980, 1, 1), cm=Decimal("168.0"), measured=False
    )
    now = HeightMeasurement.objects.create(
        patient=paula, date=datetime.date(2024, 1, 1), cm=Decimal("162.5")
    )
    loss = height_loss([Height(h.date, float(h.cm), h.measured) for h in (tallest, now)])
    html = render("_heights.html", paula, heights=paula.heights.valid(), height_loss=loss)

    assert "162.5" in html and "168.0" in html
    assert "Self-reported" in html and "Measured" in html
    assert "Historical height loss 5.5 cm" in html
    assert "Loss above 4 cm" in html, "the finding is said in words, not only in colour"
    assert reverse("patients:height_edit", kwargs={"height_pk": now.pk}) in html
    assert reverse("patients:height_create", kwargs={"pk": paula.pk}) in html


def test_the_heights_card_works_without_a_height_loss(paula):
    html = render(
        "_heights.html", paula, heights=HeightMeasurement.objects.none(), height_loss=None
    )

    assert "No heights recorded." in html


def test_the_treatments_table_shows_ongoing_and_stopped_treatments(paula):
    ongoing = Treatment.objects.create(
        patient=paula, drug_class="denosumab", name="denosumab", start=datetime.date(2024, 6, 1)
    )
    Treatment.objects.create(
        patient=paula,
        drug_class="bisphosphonate",
        name="alendronate",
        start=datetime.date(2019, 5, 1),
        stop=datetime.date(2024, 5, 1),
        reason_stopped="Drug holiday.",
    )
    html = render("_treatments.html", paula, treatments=paula.treatments.valid())

    assert "Ongoing" in html
    assert "2024-05-01" in html and "Drug holiday." in html
    assert "Bisphosphonate" in html and "Denosumab" in html
    assert reverse("patients:treatment_edit", kwargs={"treatment_pk": ongoing.pk}) in html
    assert reverse("patients:treatment_error", kwargs={"treatment_pk": ongoing.pk}) in html
    assert reverse("patients:treatment_create", kwargs={"pk": paula.pk}) in html


def test_the_record_page_includes_the_partials(alice, paula, client_for):
    html = client_for(alice).get(f"/patients/{paula.pk}/").content.decode()

    for heading in ("Patient details", "Fractures", "Height", "Treatments"):
        assert f">{heading}</h2>" in html
    assert "Clinician notes (not shown to the patient)" in html
