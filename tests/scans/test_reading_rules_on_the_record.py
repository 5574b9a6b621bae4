"""The treatment thresholds and VFA prompts a clinician reads on the record, on the
measurements the diagnosis may use and the fractures that are documented."""

import datetime

from django.test import Client

from patients.models import Fracture, Patient
from scans.models import DexaScan, SiteMeasurement
from tests.conftest import make_patient

D = datetime.date


def record_page(alice, patient: Patient) -> str:
    client = Client()
    client.force_login(alice)
    return client.get(patient.get_absolute_url()).content.decode()


def measured(patient, device, *sites):
    scan = DexaScan.objects.create(
        patient=patient, device=device, date=D(2025, 3, 1), status="released"
    )
    for site, side, bmd, t, vertebrae in sites:
        SiteMeasurement.objects.create(
            scan=scan, site=site, side=side, bmd=bmd, t_score=t, vertebrae=vertebrae
        )
    return scan


def test_a_single_vertebra_spine_result_sets_no_treatment_threshold(alice, paula, hologic):
    measured(
        paula,
        hologic,
        ("lumbar_spine", "", "0.700", "-3.0", "L2"),
        ("total_hip", "left", "0.760", "-1.5", ""),
    )
    page = record_page(alice, paula)
    assert "lowest T-score −1.5 at the left total hip" in page
    assert "The lumbar spine result was left out." in page
    assert "Consider treatment" not in page
    assert "No treatment threshold is met on the recorded data." in page


def test_the_threshold_names_the_vertebrae_and_side_measured(alice, paula, hologic):
    measured(
        paula,
        hologic,
        ("lumbar_spine", "", "0.700", "-2.8", "L1-L3"),
        ("total_hip", "right", "0.640", "-2.6", ""),
    )
    page = record_page(alice, paula)
    assert "Consider treatment" in page
    assert "T-score −2.8 at the lumbar spine L1–L3 (−2.5 or below)." in page
    assert "T-score −2.6 at the right total hip (−2.5 or below)." in page


def test_a_self_reported_vertebral_fracture_asks_for_vfa_before_treatment(alice, paula, hologic):
    measured(paula, hologic, ("femoral_neck", "left", "0.680", "-1.5", ""))
    Fracture.objects.create(
        patient=paula,
        date=D(2024, 5, 1),
        site="vertebral",
        vertebral_level="L3",
        mechanism="fragility",
        detection="self_reported",
    )
    page = record_page(alice, paula)
    assert "VFA indicated" in page
    assert "Self-reported vertebral fracture, not documented (needs confirmation)." in page
    assert "Consider treatment" not in page
    assert "once VFA or spine imaging confirms it, treatment is to be considered" in page

    Fracture.objects.create(
        patient=paula,
        date=D(2024, 6, 1),
        site="vertebral",
        vertebral_level="T12",
        mechanism="fragility",
        detection="imaging",
        genant_grade=1,
    )
    page = record_page(alice, paula)
    assert "Consider treatment" in page and "A hip or vertebral fracture." in page


def test_glucocorticoids_without_a_dose_prompt_for_the_dose(alice, hologic):
    # Aged 64: too young for VFA on age alone.
    gina = make_patient("MRN-GINA", date_of_birth=D(1962, 2, 2), glucocorticoids=True)
    measured(gina, hologic, ("femoral_neck", "left", "0.680", "-1.5", ""))
    page = record_page(alice, gina)
    assert "No VFA indication on the recorded data." in page
    assert "Long-term glucocorticoids with no dose recorded" in page

    gina.glucocorticoid_dose_mg = 7.5
    gina.save()
    page = record_page(alice, gina)
    assert "VFA indicated" in page
    assert "Long-term glucocorticoids with no dose recorded" not in page
