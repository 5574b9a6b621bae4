"""The FHIR export reads only what a Bundle carries, in a fixed number of queries, and its
reports read the scans as the record does."""

import datetime
import json

import pytest
from django.urls import reverse

from exchange import fhir
from patients.models import Fracture
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


def test_the_bundle_takes_six_queries(record, django_assert_num_queries):
    # Scans with their devices, their measurements, fractures, treatments, precision studies
    # and the scans' vertebrae.
    with django_assert_num_queries(6):
        fhir.patient_bundle(record)


def test_the_download_takes_twelve_queries_and_six_once_cached(
    client, alice, record, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("exchange:export_fhir", args=[record.pk])
    # Session, user and role; the patient; the access log entry; the record's version; the
    # Bundle's five, unless its text is cached under that version.
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(6):
        assert client.get(url).status_code == 200


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


def test_the_cached_text_is_the_bundle_as_json_writes_it(record):
    from scans.interpretation import record_version

    version = record_version(record, whole=True)
    for now in (
        datetime.datetime(2025, 1, 2, 3, 4, 5, 678, tzinfo=datetime.UTC),
        datetime.datetime(2026, 7, 8, 9, 10, 11, tzinfo=datetime.UTC),
    ):
        text = fhir.bundle_text(record, version=lambda: version, now=now)
        bundle = fhir.patient_bundle(record, now=now)
        assert text == json.dumps(bundle, ensure_ascii=False, indent=2)


def test_an_export_after_a_change_carries_it(client, alice, record):
    client.force_login(alice)
    url = reverse("exchange:export_fhir", args=[record.pk])
    client.get(url)
    record.family_name = "Renamed"
    record.save()
    Fracture.objects.create(patient=record, date="2024-05-05", site="wrist", mechanism="fragility")
    bundle = json.loads(client.get(url).content)
    resources = [entry["resource"] for entry in bundle["entry"]]
    assert resources[0]["name"][0]["family"] == "Renamed"
    assert sum(r["resourceType"] == "Condition" for r in resources) == 3
