"""The database itself refuses impossible scans, whatever code writes them."""

import datetime

import pytest
from django.db import IntegrityError, transaction

from scans.models import DexaScan, SiteMeasurement


def measurement(scan, **fields):
    values = {"site": "total_hip", "side": "left", "bmd": "0.800", "t_score": "-1.2"}
    values.update(fields)
    return SiteMeasurement(scan=scan, **values)


@pytest.mark.parametrize(
    "fields",
    [
        {"bmd": "0.099"},
        {"bmd": "2.501"},
        {"t_score": "-8.1"},
        {"t_score": "6.1"},
        {"z_score": "-8.1"},
        {"site": "lumbar_spine", "side": "left"},
        {"site": "total_hip", "side": ""},
    ],
    ids=["bmd-low", "bmd-high", "t-low", "t-high", "z-low", "spine-with-side", "hip-no-side"],
)
def test_the_database_rejects_an_impossible_measurement(paula_scan, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        measurement(paula_scan, **fields).save()


def test_bounds_themselves_are_accepted(paula_scan):
    measurement(paula_scan, bmd="2.500", t_score="-8.0", z_score="6.0").save()
    measurement(paula_scan, side="right", bmd="0.100", t_score="6.0").save()
    assert paula_scan.measurements.count() == 3


def test_one_measurement_per_scan_site_and_side(paula_scan):
    measurement(paula_scan).save()
    with pytest.raises(IntegrityError), transaction.atomic():
        measurement(paula_scan, bmd="0.700").save()


def test_no_two_scans_of_one_patient_on_one_device_on_one_day(paula_scan):
    with pytest.raises(IntegrityError), transaction.atomic():
        DexaScan.objects.create(
            patient=paula_scan.patient, device=paula_scan.device, date=paula_scan.date
        )


def test_a_scan_entered_in_error_may_be_entered_again_for_that_day(paula_scan):
    paula_scan.mark_entered_in_error("wrong patient")
    DexaScan.objects.create(
        patient=paula_scan.patient, device=paula_scan.device, date=paula_scan.date
    )
    assert DexaScan.objects.filter(date=paula_scan.date).count() == 2


def test_a_scan_before_birth_is_rejected_on_insert_and_update(paula, hologic, paula_scan):
    with pytest.raises(IntegrityError), transaction.atomic():
        DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(1950, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        DexaScan.objects.filter(pk=paula_scan.pk).update(date=datetime.date(1950, 1, 1))


def test_a_birth_date_after_an_existing_scan_is_rejected(paula_scan):
    patient = paula_scan.patient
    with pytest.raises(IntegrityError), transaction.atomic():
        type(patient).objects.filter(pk=patient.pk).update(date_of_birth=datetime.date(2024, 1, 1))
