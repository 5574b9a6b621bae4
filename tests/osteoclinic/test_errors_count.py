"""The record page counts the records marked entered in error, of every kind, in one query."""

import datetime

from osteoclinic.record import errors_count
from patients.models import Fracture, HeightMeasurement


def test_it_counts_every_kind_of_record_marked_in_error(
    paula, paula_scan, django_assert_num_queries
):
    height = HeightMeasurement.objects.create(
        patient=paula, date=datetime.date(2024, 1, 1), cm="160.0"
    )
    fracture = Fracture.objects.create(
        patient=paula, date=datetime.date(2024, 1, 1), site="wrist", mechanism="fragility"
    )
    Fracture.objects.create(
        patient=paula, date=datetime.date(2025, 1, 1), site="rib", mechanism="fragility"
    )
    for record in (height, fracture, paula_scan):
        record.mark_entered_in_error("typed on the wrong patient")
    with django_assert_num_queries(1):
        assert errors_count(paula) == 3
