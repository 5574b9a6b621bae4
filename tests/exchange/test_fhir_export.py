"""The FHIR R4 Bundle of a patient: valid, coded as docs/clinical-rules.md §9 says, read as on
the record."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle

from exchange.fhir import patient_bundle
from patients.models import Fracture
from scans.interpretation import load_record
from scans.models import DexaScan, SiteMeasurement

LOINC = "http://loinc.org"


def add_scan(patient, device, date, rows, status="released"):
    scan = DexaScan.objects.create(patient=patient, device=device, date=date, status=status)
    for site, side, bmd, t_score, z_score in rows:
        SiteMeasurement.objects.create(
            scan=scan, site=site, side=side, bmd=bmd, t_score=t_score, z_score=z_score
        )
    return scan


ALL_SITES = [
    ("lumbar_spine", "", "0.845", "-2.2", "-0.6"),
    ("femoral_neck", "left", "0.610", "-2.1", "-0.7"),
    ("femoral_neck", "right", "0.640", "-1.8", None),
    ("total_hip", "left", "0.720", "-1.8", "-0.4"),
    ("total_hip", "right", "0.731", "-1.7", None),
    ("radius_33", "left", "0.655", "-1.1", "0.2"),
    ("radius_33", "right", "0.671", "-0.9", None),
]


@pytest.fixture
def record(paula, hologic):
    add_scan(paula, hologic, datetime.date(2022, 3, 1), ALL_SITES)
    add_scan(
        paula,
        hologic,
        datetime.date(2024, 3, 4),
        [
            ("lumbar_spine", "", "0.790", "-2.7", "-1.1"),
            ("total_hip", "left", "0.716", "-1.8", "-0.4"),
        ],
    )
    Fracture.objects.create(
        patient=paula,
        date="2021-06-01",
        date_precision="month",
        site="wrist",
        mechanism="fragility",
    )
    Fracture.objects.create(
        patient=paula,
        date="2019-01-01",
        date_precision="year",
        site="vertebral",
        vertebral_level="L1",
        genant_grade=2,
        mechanism="fragility",
    )
    Fracture.objects.create(patient=paula, date="2023-02-14", site="hip", mechanism="high_trauma")
    Fracture.objects.create(
        patient=paula, date="2020-05-05", site="rib", mechanism="fragility", entered_in_error=True
    )
    return paula


def resources(bundle, kind):
    return [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]


def loinc(resource):
    [coding] = [c for c in resource["code"]["coding"] if c["system"] == LOINC]
    return coding["code"]


def observation(bundle, date, site_text, kind):
    """The Observation of one value, found by its date and the words of its code."""
    [found] = [
        o
        for o in resources(bundle, "Observation")
        if o["effectiveDateTime"] == date and o["code"]["text"] == f"{kind}, {site_text}"
    ]
    return found


def test_the_bundle_validates_as_fhir(record):
    bundle = patient_bundle(record)
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds.count("Patient") == 1 and kinds.count("Device") == 1
    assert kinds.count("DiagnosticReport") == 2
    # 7 sites × BMD and T, 4 Z-scores on the first scan; 2 sites × 3 values on the second.
    assert kinds.count("Observation") == 7 * 2 + 4 + 2 * 3
    assert kinds.count("Condition") == 3, "the fracture entered in error is left out"
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls)


def test_a_spine_on_three_vertebrae_says_so(paula, hologic):
    scan = add_scan(paula, hologic, datetime.date(2024, 1, 1), [])
    SiteMeasurement.objects.create(
        scan=scan, site="lumbar_spine", vertebrae="L1,L2,L4", bmd="0.845", t_score="-2.2"
    )
    bundle = patient_bundle(paula)
    bmd = observation(bundle, "2024-01-01", "Lumbar spine L1, L2, L4", "BMD")
    assert bmd["bodySite"]["text"] == "Lumbar spine L1, L2, L4"
    assert loinc(bmd) == "24966-4"


def test_the_patient_is_identified_by_mrn(record):
    [patient] = resources(patient_bundle(record), "Patient")
    assert patient["identifier"][0]["value"] == "MRN-PAULA"
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert (patient["gender"], patient["birthDate"]) == ("female", "1955-04-12")


@pytest.mark.parametrize(
    ("site_text", "codes"),
    [
        ("Lumbar spine L1–L4", ("24966-4", "38267-1", "85394-5")),
        ("Total hip (left)", ("46278-8", "80946-7", "80938-4")),
        ("Total hip (right)", ("46279-6", "80945-9", None)),
        ("Femoral neck (left)", ("80954-1", "80948-3", "80940-0")),
        ("Femoral neck (right)", ("80953-3", "80947-5", None)),
        ("33% radius (left)", ("80952-5", "80944-2", "80936-8")),
        ("33% radius (right)", ("80951-7", "80943-4", None)),
    ],
)
def test_each_value_has_the_loinc_code_of_its_region_and_side(record, site_text, codes):
    bundle = patient_bundle(record)
    for kind, code in zip(("BMD", "T-score", "Z-score"), codes, strict=True):
        if code is None:
            with pytest.raises(ValueError):
                observation(bundle, "2022-03-01", site_text, kind)
            continue
        assert loinc(observation(bundle, "2022-03-01", site_text, kind)) == code


def test_values_carry_ucum_units_body_site_laterality_and_device(record):
    bundle = patient_bundle(record)
    bmd = observation(bundle, "2022-03-01", "Femoral neck (left)", "BMD")
    assert bmd["valueQuantity"] == {
        "value": 0.61,
        "unit": "g/cm2",
        "system": "http://unitsofmeasure.org",
        "code": "g/cm2",
    }
    assert bmd["bodySite"]["text"] == "Femoral neck (left)"
    assert bmd["bodySite"]["coding"][0]["code"] == "29627003"
    [laterality] = bmd["bodySite"]["extension"]
    assert laterality["valueCodeableConcept"]["coding"][0]["code"] == "7771000"
    assert bmd["device"]["display"] == "Hologic Horizon A #HZ-100"
    assert bmd["status"] == "final"

    t_score = observation(bundle, "2024-03-04", "Lumbar spine L1–L4", "T-score")
    assert t_score["valueQuantity"]["value"] == -2.7
    assert t_score["valueQuantity"]["code"] == "{T-score}"
    assert t_score["status"] == "final"
    assert "extension" not in t_score["bodySite"]


def test_each_scan_has_a_report_whose_conclusion_is_the_reading_on_the_record(record):
    bundle = patient_bundle(record)
    readings = load_record(record)["reading"].readings
    reports = {r["effectiveDateTime"]: r for r in resources(bundle, "DiagnosticReport")}
    assert set(reports) == {"2022-03-01", "2024-03-04"}
    latest = reports["2024-03-04"]
    assert loinc(latest) == "83311-1"
    assert readings[-1].diagnosis.summary in latest["conclusion"]
    assert latest["conclusion"].startswith(
        "Severe (established) osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4, "
        "with a fragility fracture."
    )
    spine = next(c for c in readings[-1].changes if c.measurement.site == "lumbar_spine")
    assert spine.previous.explanation in latest["conclusion"]
    assert (
        "Lumbar spine L1–L4 since 2022-03-01: −0.055 g/cm² (−6.5%), significant loss."
        in (latest["conclusion"])
    )
    assert "first scan of this site" in reports["2022-03-01"]["conclusion"]

    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    results = [by_url[ref["reference"]] for ref in latest["result"]]
    assert len(results) == 6
    assert {r["resourceType"] for r in results} == {"Observation"}
    assert {r["effectiveDateTime"] for r in results} == {"2024-03-04"}


@pytest.mark.parametrize("status", ["draft", "reviewed"])
def test_a_scan_between_two_released_ones_changes_nothing_until_released(record, hologic, status):
    now = datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
    before = patient_bundle(record, now=now)
    # A typing error in a scan not yet reviewed: a loss that would be "significant".
    add_scan(
        record,
        hologic,
        datetime.date(2023, 3, 1),
        [("lumbar_spine", "", "0.500", "-4.6", None)],
        status=status,
    )
    assert patient_bundle(record, now=now) == before
    dates = {r["effectiveDateTime"] for r in resources(before, "DiagnosticReport")}
    assert "2023-03-01" not in dates


VERTEBRAL = (
    "L1 vertebral fracture, fragility (low trauma), Genant grade 2 – moderate (over 25% to 40%)"
)


def test_fractures_are_conditions_dated_to_the_precision_recorded(record):
    conditions = {c["code"]["text"]: c for c in resources(patient_bundle(record), "Condition")}
    assert set(conditions) == {
        "Wrist / distal radius fracture, fragility (low trauma)",
        VERTEBRAL,
        "Hip fracture, high trauma",
    }
    onsets = {text: c["onsetDateTime"] for text, c in conditions.items()}
    assert onsets == {
        "Wrist / distal radius fracture, fragility (low trauma)": "2021-06",
        VERTEBRAL: "2019",
        "Hip fracture, high trauma": "2023-02-14",
    }
    assert conditions["Hip fracture, high trauma"]["bodySite"] == [{"text": "Hip"}]


def test_the_export_query_count_does_not_grow_with_scans(paula, hologic):
    add_scan(paula, hologic, datetime.date(2020, 1, 1), ALL_SITES)
    with CaptureQueriesContext(connection) as one_scan:
        patient_bundle(paula)
    for year in range(2021, 2025):
        add_scan(paula, hologic, datetime.date(year, 1, 1), ALL_SITES)
    with CaptureQueriesContext(connection) as five_scans:
        patient_bundle(paula)
    assert len(five_scans) == len(one_scan)


def test_alice_downloads_the_bundle_as_fhir_json(client, alice, record):
    client.force_login(alice)
    response = client.get(reverse("exchange:export_fhir", args=[record.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    Bundle.model_validate(json.loads(response.content))


def test_pete_cannot_reach_paulas_bundle(client, pete, record):
    client.force_login(pete.user)
    assert client.get(reverse("exchange:export_fhir", args=[record.pk])).status_code == 403


def test_the_command_prints_the_bundle_of_an_mrn(record):
    out = io.StringIO()
    call_command("export_fhir", "mrn-paula", stdout=out)
    bundle = json.loads(out.getvalue())
    Bundle.model_validate(bundle)
    assert resources(bundle, "Patient")[0]["identifier"][0]["value"] == "MRN-PAULA"
    with pytest.raises(CommandError, match="No patient has the MRN NOBODY"):
        call_command("export_fhir", "NOBODY", stdout=io.StringIO())
