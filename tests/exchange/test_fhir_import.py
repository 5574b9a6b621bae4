"""A FHIR Bundle in: OsteoClinic's own export or another system's Observations, as drafts."""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from exchange.fhir import patient_bundle
from exchange.fhir_import import import_bundle
from patients.access import CLINICIANS
from patients.models import Patient
from scans.interpretation import load_record
from scans.models import DexaScan, ScanStatus
from scans.services import scan_review
from tests.conftest import make_user
from tests.scans.test_scan_plausibility_pages import released


def readings_of(mrn: str) -> list:
    patient = Patient.objects.get(mrn=mrn)
    reading = load_record(patient)["reading"]
    return [
        (
            r.scan.date,
            r.diagnosis.summary if r.diagnosis else "",
            sorted(
                (
                    c.measurement.site_label,
                    c.measurement.bmd,
                    c.measurement.t_score,
                    c.measurement.z_score,
                    c.measurement.bmc,
                    c.measurement.area,
                )
                for c in r.changes
            ),
            [(c.measurement.site_label, c.previous and c.previous.explanation) for c in r.changes],
        )
        for r in reading.readings
    ]


@pytest.mark.django_db(transaction=True)
def test_export_then_import_into_an_empty_database_gives_the_same_readings(pete, hologic):
    released(
        pete,
        hologic,
        datetime.date(2021, 9, 9),
        [
            {
                "site": "lumbar_spine",
                "bmd": "0.960",
                "t_score": "-0.8",
                "z_score": "-0.2",
                "bmc": "61.20",
                "area": "63.75",
            },
            {"site": "total_hip", "side": "left", "bmd": "0.900", "t_score": "-0.3"},
        ],
    )
    released(
        pete,
        hologic,
        datetime.date(2023, 9, 9),
        [
            {"site": "lumbar_spine", "bmd": "0.900", "t_score": "-1.3"},
            {"site": "total_hip", "side": "left", "bmd": "0.880", "t_score": "-0.5"},
            {"site": "femoral_neck", "side": "left", "bmd": "0.700", "t_score": "-1.3"},
        ],
    )
    before = readings_of("MRN-PETE")
    text = json.dumps(patient_bundle(pete))

    call_command("flush", interactive=False, verbosity=0)
    carol = make_user("carol", CLINICIANS)
    outcome = import_bundle(text=text, user=carol)
    assert (outcome.errors, outcome.flagged, len(outcome.stored)) == ([], [], 2)
    assert all(scan.status == ScanStatus.DRAFT for scan in outcome.stored)
    assert readings_of("MRN-PETE") == []  # drafts feed no reading
    for scan in DexaScan.objects.order_by("date"):
        scan_review(scan=scan, user=carol, release=True)
    assert readings_of("MRN-PETE") == before
    # Importing the same Bundle again stores nothing new.
    again = import_bundle(text=text, user=carol)
    assert (len(again.stored), len(again.same)) == (0, 2)


def other_systems_bundle(value="0.812") -> dict:
    """Another system's Bundle: a Patient, a report and two Observations, no Device."""
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "fullUrl": "urn:uuid:p1",
                "resource": {
                    "resourceType": "Patient",
                    "id": "p1",
                    "identifier": [{"system": "urn:other:mrn", "value": "MRN-PAULA"}],
                },
            },
            {
                "fullUrl": "urn:uuid:o1",
                "resource": {
                    "resourceType": "Observation",
                    "id": "o1",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "24966-4"}]},
                    "subject": {"reference": "urn:uuid:p1"},
                    "effectiveDateTime": "2024-03-05",
                    "valueQuantity": {"value": float(value), "unit": "g/cm2"},
                },
            },
            {
                "fullUrl": "urn:uuid:o2",
                "resource": {
                    "resourceType": "Observation",
                    "id": "o2",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "38267-1"}]},
                    "subject": {"reference": "urn:uuid:p1"},
                    "effectiveDateTime": "2024-03-05",
                    "valueQuantity": {"value": -2.7},
                },
            },
            {
                "fullUrl": "urn:uuid:r1",
                "resource": {
                    "resourceType": "DiagnosticReport",
                    "id": "r1",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "83311-1"}]},
                    "result": [{"reference": "urn:uuid:o1"}, {"reference": "urn:uuid:o2"}],
                },
            },
        ],
    }


def test_another_systems_observations_are_stored_on_the_chosen_scanner(
    client_for, alice, paula, hologic
):
    upload = SimpleUploadedFile("bundle.json", json.dumps(other_systems_bundle()).encode())
    response = client_for(alice).post(
        reverse("exchange:fhir_import"), {"file": upload, "device": hologic.pk}
    )
    page = response.content.decode()
    assert "1 scan stored as draft" in page
    scan = DexaScan.objects.get(patient=paula)
    assert scan.device == hologic and scan.status == ScanStatus.DRAFT
    spine = scan.measurements.get()
    assert (str(spine.bmd), str(spine.t_score)) == ("0.812", "-2.7")


def test_without_a_scanner_the_page_says_so_and_stores_nothing(client_for, alice, paula):
    upload = SimpleUploadedFile("bundle.json", json.dumps(other_systems_bundle()).encode())
    page = client_for(alice).post(reverse("exchange:fhir_import"), {"file": upload})
    assert "name no Device: choose the scanner" in page.content.decode()
    assert not DexaScan.objects.exists()


def test_a_value_out_of_bounds_is_refused_by_scan(paula, hologic):
    outcome = import_bundle(text=json.dumps(other_systems_bundle("3.5")), device=hologic)
    assert "outside 0.100 to 2.500" in outcome.errors[0]
    assert not DexaScan.objects.exists()


def test_what_is_not_a_bundle_is_said_next_to_the_file(client_for, alice):
    upload = SimpleUploadedFile("bundle.json", b'{"resourceType": "Bundle", "type": 7}')
    page = client_for(alice).post(reverse("exchange:fhir_import"), {"file": upload})
    assert "Not a valid FHIR R4 Bundle" in page.content.decode()


def test_the_command_imports_a_file(tmp_path, paula, hologic):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(other_systems_bundle()))
    out = io.StringIO()
    call_command("import_fhir", str(path), "--device", "HZ-100", stdout=out)
    assert "1 scan(s) stored as drafts" in out.getvalue()
    with pytest.raises(CommandError, match="No scanner has the serial number NOPE"):
        call_command("import_fhir", str(path), "--device", "NOPE")
