"""The FHIR export reads only what a Bundle carries, in a fixed number of queries, and its
reports read the scans as the record does."""

import datetime

import pytest
from django.urls import reverse

from patients.models import Fracture
from scans import fhir
from scans.interpretation import load_record, load_scan_readings

from .test_fhir_export import ALL_SITES, add_scan


@pytest.fixture
def record(paula, hologic):
    add_scan(paula, hologic, datetime.date(2021, 3, 1), ALL_SITES, status="released")
    add_scan(paula, hologic, datetime.date(2022, 3, 1), ALL_SITES[:3])
    add_scan(paula, hologic, datetime.date(2023, 3, 1), [], status="draft")
    add_scan(paula, hologic, datetime.date(2024, 3, 1), ALL_SITES[3:])
    Fracture.objects.create(
        patient=paula, date="2021-06-01", site="wrist", mechanism="fragility", notes='"Fell"'
    )
    Fracture.objects.create(patient=paula, date="2023-02-14", site="hip", mechanism="high_trauma")
    return paula


def test_the_bundle_takes_five_queries(record, django_assert_num_queries):
    # Scans with their devices, their measurements, fractures, treatments and precision studies.
    with django_assert_num_queries(5):
        fhir.patient_bundle(record)


def test_the_download_takes_ten_queries_at_most(
    client, alice, record, django_assert_max_num_queries
):
    client.force_login(alice)
    # Session, user and role; the patient; the access log entry; the Bundle's five.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("scans:export_fhir", args=[record.pk]))
    assert response.status_code == 200


def test_the_reports_read_the_scans_as_the_record_does(record):
    loaded = load_scan_readings(record)
    readings, fractures = loaded["readings"], loaded["fractures"]
    on_record = load_record(record)
    expected = on_record["reading"].readings
    assert [r.scan.pk for r in readings] == [r.scan.pk for r in expected]
    assert [fhir.conclusion(r) for r in readings] == [fhir.conclusion(r) for r in expected]
    site_order = [[row.measurement.pk for row in r.changes] for r in readings]
    assert site_order == [[row.measurement.pk for row in r.changes] for r in expected]
    assert fractures == on_record["fractures"]
