"""Precision studies entered per scanner, and FRAX results recorded for a patient."""

import datetime
import math

import pytest
from django.urls import reverse

from scans.models import FraxEntry, PrecisionStudy

# 30 patients scanned twice; every pair differs by 0.010 g/cm², so each SD is 0.010/√2.
PAIRS = "\n".join(f"{0.800 + i / 1000:.3f}, {0.810 + i / 1000:.3f}" for i in range(30))


def test_a_pasted_study_stores_rms_sd_and_lsc(client, alice, hologic):
    client.force_login(alice)
    response = client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "lumbar_spine", "date": "2025-01-10", "values_text": PAIRS},
    )
    assert response.status_code == 302
    study = PrecisionStudy.objects.get()
    rms_sd = 0.010 / math.sqrt(2)  # docs/clinical-rules.md §4: SDj = |x1 − x2| / √2, all equal
    assert float(study.rms_sd) == pytest.approx(rms_sd, abs=1e-4)
    assert float(study.lsc) == pytest.approx(2.77 * rms_sd, abs=1e-4)
    assert (study.patients, study.degrees_of_freedom) == (30, 30)
    page = client.get(hologic.get_absolute_url()).content.decode()
    assert "LSC 0.0196 g/cm²" in page


def test_a_study_with_too_few_patients_says_how_many_are_needed(client, alice, hologic):
    client.force_login(alice)
    few = "\n".join(PAIRS.splitlines()[:20])
    response = client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "total_hip", "date": "2025-01-10", "values_text": few},
    )
    assert "at least 27 degrees of freedom" in response.content.decode()
    assert not PrecisionStudy.objects.exists()


def test_a_bad_line_is_named_by_its_number(client, alice, hologic):
    client.force_login(alice)
    text = PAIRS + "\n0.8, banana"
    response = client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "total_hip", "date": "2025-01-10", "values_text": text},
    )
    assert "Line 31:" in response.content.decode()


def test_a_measured_lsc_replaces_the_default_for_later_changes(client, alice, paula, hologic):
    from tests.osteoclinic.test_patient_record import scan

    scan(paula, hologic, datetime.date(2024, 1, 1), ("lumbar_spine", "", "0.842", "-2.0"))
    scan(paula, hologic, datetime.date(2026, 1, 1), ("lumbar_spine", "", "0.810", "-2.3"))
    client.force_login(alice)
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "within the default least significant change" in page
    client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "lumbar_spine", "date": "2025-01-10", "values_text": PAIRS},
    )
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "Loss of 0.032 g/cm² (−3.8%) exceeds the least significant change of 0.020" in page


def test_frax_is_recorded_and_drives_the_treatment_threshold(client, alice, paula, hologic):
    from tests.osteoclinic.test_patient_record import scan

    scan(paula, hologic, datetime.date(2025, 1, 1), ("femoral_neck", "left", "0.678", "-1.5"))
    client.force_login(alice)
    url = reverse("scans:frax_create", args=[paula.pk])
    bad = client.post(url, {"date": "2025-01-02", "major_osteoporotic": "10", "hip": "12"})
    assert bad.context["form"].errors["hip"] == [
        "The hip probability cannot exceed the major osteoporotic one."
    ]
    client.post(
        url, {"date": "2025-01-02", "major_osteoporotic": "21.0", "hip": "3.4", "with_bmd": "on"}
    )
    entry = FraxEntry.objects.get()
    assert (str(entry.major_osteoporotic), str(entry.hip), entry.with_bmd) == ("21.0", "3.4", True)
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "Consider treatment" in page and "FRAX" in page


def test_a_move_retires_the_precision_studies_made_before_it(client, alice, paula, hologic):
    # docs/clinical-rules.md §3: a move means a new precision assessment; until then the default
    # holds.
    from tests.osteoclinic.test_patient_record import scan

    scan(paula, hologic, datetime.date(2024, 1, 1), ("lumbar_spine", "", "0.842", "-2.0"))
    scan(paula, hologic, datetime.date(2026, 1, 1), ("lumbar_spine", "", "0.810", "-2.3"))
    client.force_login(alice)
    client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "lumbar_spine", "date": "2025-01-10", "values_text": PAIRS},
    )
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "exceeds the least significant change of 0.020" in page

    edit = reverse("scans:device_edit", args=[hologic.pk])
    fields = {"manufacturer": "hologic", "model": "Horizon A", "serial": "HZ-100", "active": "on"}
    future = client.post(edit, {**fields, "moved_on": "2999-01-01"})
    assert future.context["form"].errors["moved_on"] == [
        "The date of the move is in the future: check the date."
    ]
    client.post(edit, {**fields, "moved_on": "2025-06-01"})
    hologic.refresh_from_db()
    assert hologic.moved_on == datetime.date(2025, 6, 1)
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "exceeds the least significant change of 0.020" not in page
    assert "within the default least significant change" in page
    device_page = client.get(hologic.get_absolute_url()).content.decode()
    assert "Moved or reinstalled on 2025-06-01" in device_page
    assert "default, not measured" in device_page

    # A study after the move is in force again for later scans.
    client.post(
        reverse("scans:precision_create", args=[hologic.pk]),
        {"site": "lumbar_spine", "date": "2025-07-01", "values_text": PAIRS},
    )
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "exceeds the least significant change of 0.020" in page


@pytest.mark.parametrize(
    ("scanned", "study_date", "measured"),
    [
        (datetime.date(2025, 5, 31), datetime.date(2025, 1, 10), True),  # before the move
        (datetime.date(2025, 6, 1), datetime.date(2025, 1, 10), False),  # on the move's day
        (datetime.date(2025, 6, 1), datetime.date(2025, 6, 1), True),  # a study that day
    ],
)
def test_the_study_in_force_follows_the_move_date(hologic, scanned, study_date, measured):
    from scans.interpretation import load_precision_studies, precision_for

    hologic.moved_on = datetime.date(2025, 6, 1)
    hologic.save()
    PrecisionStudy.objects.create(
        device=hologic,
        site="lumbar_spine",
        date=study_date,
        values=[],
        patients=30,
        degrees_of_freedom=30,
        rms_sd="0.0071",
        lsc="0.0196",
        cv_percent="0.85",
    )
    studies = load_precision_studies([hologic.pk])
    assert precision_for(studies, hologic.pk, "lumbar_spine", scanned).measured is measured
