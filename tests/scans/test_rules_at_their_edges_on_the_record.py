"""The rules at their boundaries as the record page, the worklist, the portal and the FHIR
export say them (docs/clinical-rules.md §1.1, §2.1, §3.1, §5.1, §7.2, §8.1–§8.3)."""

import datetime
import json

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from patients.models import Fracture, Menopause, Patient, Sex, Treatment
from scans.models import FraxEntry, PrecisionStudy
from scans.services import status_refresh
from tests.conftest import make_patient
from tests.osteoclinic.test_patient_record import scan

D = datetime.date
TODAY = D(2026, 6, 1)


@pytest.fixture(autouse=True)
def on_a_fixed_day():
    with time_machine.travel(datetime.datetime(2026, 6, 1, 12, tzinfo=datetime.UTC)):
        yield


def page_for(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def record_page(alice, patient: Patient) -> str:
    return page_for(alice, patient.get_absolute_url())


def worklist(alice) -> str:
    return page_for(alice, reverse("home"))


def fhir(alice, patient: Patient) -> dict:
    client = Client()
    client.force_login(alice)
    return json.loads(client.get(reverse("exchange:export_fhir", args=[patient.pk])).content)


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def study(device, lsc: str, site="lumbar_spine"):
    rms = f"{float(lsc) / 2.77:.4f}"
    return PrecisionStudy.objects.create(
        device=device,
        site=site,
        date=D(2020, 1, 1),
        values=[],
        patients=30,
        degrees_of_freedom=30,
        rms_sd=rms,
        lsc=lsc,
        cv_percent="1.30",
    )


# --- docs/clinical-rules.md §3.1 unrounded LSC ----------------------------------------------------


@pytest.mark.parametrize(
    ("after", "verdict", "explanation"),
    [
        (
            "0.847",
            "No significant change",
            "Change of −0.0330 g/cm² is within the least significant change (0.0332 g/cm²)",
        ),
        (
            "0.846",
            "Significant loss",
            "Loss of 0.034 g/cm² (−3.9%) exceeds the least significant change of 0.033 g/cm²",
        ),
    ],
)
def test_the_record_judges_a_change_on_the_unrounded_lsc(
    alice, paula, hologic, after, verdict, explanation
):
    study(hologic, "0.0332")
    scan(paula, hologic, D(2024, 1, 10), ("lumbar_spine", "", "0.880", "-1.9"))
    scan(paula, hologic, D(2026, 1, 10), ("lumbar_spine", "", after, "-2.2"))
    page = record_page(alice, paula)
    assert verdict in page
    assert explanation in page
    assert "LSC 0.0332 g/cm²" in page
    status_refresh(patient=paula)
    loss_row = "Lumbar spine L1–L4: −3.9% since 2024-01-10"
    assert (loss_row in worklist(alice)) is (verdict == "Significant loss")
    bundle = fhir(alice, paula)
    [latest] = [
        r for r in resources(bundle, "DiagnosticReport") if r["effectiveDateTime"] == "2026-01-10"
    ]
    assert explanation in latest["conclusion"]
    portal = page_for(paula.user, reverse("portal:home"))
    if verdict == "Significant loss":
        assert "your bone density fell by 3.9%" in portal
    else:
        assert "your bone density is about the same" in portal


# --- docs/clinical-rules.md §5.1 hip T-score check ------------------------------------------------


@pytest.mark.parametrize(("bmd", "flagged"), [("0.700", True), ("0.702", False)])
def test_the_record_checks_a_hip_t_score_against_the_unrounded_t(
    alice, paula, hologic, bmd, flagged
):
    scan(paula, hologic, D(2025, 3, 1), ("femoral_neck", "left", bmd, "-1.0"))
    page = record_page(alice, paula)
    assert ("Reported T-score −1.0 does not fit BMD 0.700 g/cm² (expected about −1.32" in page) is (
        flagged
    )
    assert ("does not fit BMD" in page) is flagged
    conclusion = resources(fhir(alice, paula), "DiagnosticReport")[0]["conclusion"]
    assert ("expected about −1.32" in conclusion) is flagged


# --- docs/clinical-rules.md §7.2 VFA for everyone with a T-score ----------------------------------


@pytest.mark.parametrize(("t", "indicated"), [("-1.0", False), ("-1.1", True)])
def test_a_premenopausal_woman_on_glucocorticoids_is_judged_for_vfa_on_her_t_score(
    alice, hologic, t, indicated
):
    zara = make_patient(
        "MRN-ZARA",
        date_of_birth=D(1982, 5, 1),
        menopause=Menopause.PRE,
        glucocorticoids=True,
        glucocorticoid_dose_mg="7.5",
    )
    record = scan(zara, hologic, D(2026, 1, 5), ("femoral_neck", "left", "0.725", t))
    record.measurements.update(z_score="-0.6")
    page = record_page(alice, zara)
    assert "Within the expected range for age: lowest Z-score −0.6" in page
    assert ("VFA indicated" in page) is indicated
    assert (
        "(VFA is judged on T-scores, though the diagnosis is read on Z-scores)." in page
    ) is indicated


# --- docs/clinical-rules.md §1.1 fractures by how they were found ---------------------------------


@pytest.mark.parametrize(
    ("detection", "severe", "verification"),
    [("self_reported", False, "unconfirmed"), ("imaging", True, "confirmed")],
)
def test_only_a_documented_vertebral_fracture_makes_severe_osteoporosis(
    alice, paula, hologic, detection, severe, verification
):
    scan(paula, hologic, D(2025, 3, 1), ("lumbar_spine", "", "0.700", "-2.7"))
    Fracture.objects.create(
        patient=paula,
        date=D(2024, 5, 1),
        site="vertebral",
        vertebral_level="L2",
        mechanism="fragility",
        detection=detection,
    )
    page = record_page(alice, paula)
    assert ("Severe (established) osteoporosis: lowest T-score −2.7" in page) is severe
    assert ("Osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4." in page) is not severe
    assert ("Self-reported, needs confirmation" in page) is not severe
    assert ("A hip or vertebral fracture." in page) is severe
    assert ("Self-reported vertebral fracture, not documented (needs confirmation)." in page) is (
        not severe
    )

    portal = page_for(paula.user, reverse("portal:home"))
    assert ("Doctors call this established osteoporosis." in portal) is severe
    assert ("as you told us; not yet confirmed by an X-ray or scan" in portal) is not severe

    bundle = fhir(alice, paula)
    [condition] = resources(bundle, "Condition")
    assert condition["verificationStatus"]["coding"][0]["code"] == verification
    assert ("self-reported, needs confirmation" in condition["code"]["text"]) is not severe
    [report] = resources(bundle, "DiagnosticReport")
    assert report["conclusion"].startswith("Severe" if severe else "Osteoporosis")


# --- docs/clinical-rules.md §8.1 thresholds that do not apply -------------------------------------


@pytest.mark.parametrize(("born", "applied"), [(D(1976, 6, 2), False), (D(1976, 6, 1), True)])
def test_the_thresholds_are_not_applied_to_a_man_under_50(alice, hologic, born, applied):
    # Scanned today: born 1976-06-02 he is 49; born 1976-06-01, 50.
    sam = make_patient(
        "MRN-SAM", sex=Sex.MALE, menopause=Menopause.NOT_APPLICABLE, date_of_birth=born
    )
    record = scan(sam, hologic, TODAY, ("total_hip", "left", "0.640", "-2.6"))
    record.measurements.update(z_score="-2.1")
    page = record_page(alice, sam)
    not_applied = (
        "The NOF/BHOF treatment thresholds apply to postmenopausal women and men aged 50 and "
        "over: they are not applied to a patient read on Z-scores."
    )
    assert (not_applied in page) is not applied
    assert "No treatment threshold is met" not in page
    assert ("Consider treatment" in page) is applied
    status_refresh(patient=sam)
    assert ("T-score −2.6 at the left total hip (−2.5 or below)." in worklist(alice)) is applied


# --- docs/clinical-rules.md §8.2 FRAX in context --------------------------------------------------


@pytest.mark.parametrize(("frax_day", "labelled"), [(D(2025, 3, 1), False), (D(2025, 2, 28), True)])
def test_a_frax_older_than_the_latest_scan_is_labelled_where_it_is_used(
    alice, paula, hologic, frax_day, labelled
):
    scan(paula, hologic, D(2025, 3, 1), ("femoral_neck", "left", "0.680", "-1.5"))
    FraxEntry.objects.create(patient=paula, date=frax_day, major_osteoporotic="24.0", hip="2.0")
    label = (
        "FRAX of 28 February 2025 is older than the latest scan (1 March 2025): recalculate it "
        "with the new BMD."
    )
    page = record_page(alice, paula)
    assert "Consider treatment" in page
    assert (label in page) is labelled
    assert ("FRAX out of date" in page) is labelled
    status_refresh(patient=paula)
    assert (label in worklist(alice)) is labelled
    summary = page_for(alice, reverse("patient_summary", args=[paula.pk]))
    assert (label in summary) is labelled


@pytest.mark.parametrize(("with_bmd", "labelled"), [(True, False), (False, True)])
def test_a_frax_without_bmd_while_a_neck_bmd_exists_is_labelled(
    alice, paula, hologic, with_bmd, labelled
):
    scan(paula, hologic, D(2025, 3, 1), ("femoral_neck", "left", "0.680", "-1.5"))
    FraxEntry.objects.create(
        patient=paula, date=D(2025, 3, 1), major_osteoporotic="10.0", hip="1.0", with_bmd=with_bmd
    )
    page = record_page(alice, paula)
    assert (
        "FRAX was computed without BMD although a femoral neck BMD is on record" in page
    ) is labelled
    assert "FRAX below the thresholds (hip 3%, major osteoporotic 20%)." in page


# --- docs/clinical-rules.md §2.1 menopausal status unknown ----------------------------------------


@pytest.mark.parametrize(
    ("born", "menopause", "note"),
    [
        (D(1966, 6, 1), Menopause.UNKNOWN, "read on T-scores (WHO categories) because she is 50"),
        (D(1976, 6, 2), Menopause.UNKNOWN, "read on Z-scores because she is under 50"),
        (D(1965, 5, 1), Menopause.UNKNOWN, None),
        (D(1976, 6, 2), Menopause.PRE, None),
    ],
)
def test_an_unknown_menopausal_status_is_flagged_with_the_rule_used(
    alice, hologic, born, menopause, note
):
    # Ages on the scan of 2026-05-30: 59, 49, 61 and 49.
    mia = make_patient("MRN-MIA", date_of_birth=born, menopause=menopause)
    record = scan(mia, hologic, D(2026, 5, 30), ("total_hip", "left", "0.800", "-1.2"))
    record.measurements.update(z_score="-0.5")
    page = record_page(alice, mia)
    assert ("Menopausal status unknown" in page) is (note is not None)
    [report] = resources(fhir(alice, mia), "DiagnosticReport")
    assert ("Menopausal status unknown" in report["conclusion"]) is (note is not None)
    if note:
        assert note in page
        assert "Record her menopausal status; the reading may change." in page
        assert note in report["conclusion"]


def test_the_importer_stores_an_unknown_status_for_a_woman_without_one(alice, hologic):
    from tests.exchange.test_import_pages import NEW_ROW, confirm, csv_text, preview

    client = Client()
    client.force_login(alice)
    man = {**NEW_ROW, "mrn": "MRN-NEW-2", "given_name": "Tom", "sex": "male"}
    preview(client, csv_text(NEW_ROW, man))
    confirm(client)
    assert Patient.objects.get(mrn="MRN-NEW-1").menopause == Menopause.UNKNOWN
    assert Patient.objects.get(mrn="MRN-NEW-2").menopause == Menopause.NOT_APPLICABLE


# --- docs/clinical-rules.md §8.3 response to treatment --------------------------------------------


THERAPY_START = D(2024, 1, 15)


def on_alendronate(patient, start=THERAPY_START):
    Treatment.objects.create(
        patient=patient, drug_class="bisphosphonate", name="alendronate", start=start
    )


@pytest.mark.parametrize(("second", "review"), [(D(2025, 1, 14), False), (D(2025, 1, 15), True)])
def test_a_significant_loss_after_12_months_of_treatment_asks_for_a_review(
    alice, paula, hologic, second, review
):
    on_alendronate(paula)
    scan(paula, hologic, D(2024, 1, 10), ("lumbar_spine", "", "0.800", "-2.6"))
    scan(paula, hologic, second, ("lumbar_spine", "", "0.750", "-3.0"))
    page = record_page(alice, paula)
    assert "Significant loss" in page
    assert "Consider treatment" not in page, "on treatment, response is judged instead"
    assert "judged on the response to treatment" in page
    assert ("Review treatment response" in page) is review
    assert "IOF working group, Diez-Perez et al., Osteoporos Int 2012;23:2769" in page
    assert "Use with care" in page
    status_refresh(patient=paula)
    reason = (
        "15 January 2025: significant loss at the lumbar spine L1–L4 since 10 January 2024, "
        "after 12 months of treatment."
    )
    assert (reason in worklist(alice)) is review
    assert (reason in page) is review


@pytest.mark.parametrize(("day", "review"), [(D(2025, 1, 14), False), (D(2025, 1, 15), True)])
def test_a_new_fragility_fracture_after_12_months_of_treatment_asks_for_a_review(
    alice, paula, hologic, day, review
):
    on_alendronate(paula)
    scan(paula, hologic, D(2024, 1, 10), ("lumbar_spine", "", "0.800", "-2.6"))
    Fracture.objects.create(patient=paula, date=day, site="wrist", mechanism="fragility")
    page = record_page(alice, paula)
    assert ("Review treatment response" in page) is review
    status_refresh(patient=paula)
    reason = "15 January 2025: new fragility fracture (Wrist / distal radius), after 12 months"
    assert (reason in worklist(alice)) is review


def test_a_loss_against_the_last_scan_before_treatment_asks_for_a_review(alice, paula, hologic):
    on_alendronate(paula)
    scan(paula, hologic, D(2024, 1, 10), ("lumbar_spine", "", "0.800", "-2.6"))
    scan(paula, hologic, D(2025, 1, 20), ("lumbar_spine", "", "0.780", "-2.8"))
    scan(paula, hologic, D(2026, 1, 20), ("lumbar_spine", "", "0.755", "-3.0"))
    page = record_page(alice, paula)
    assert (
        "20 January 2026: significant loss at the lumbar spine L1–L4 since 10 January 2024, the "
        "last scan before treatment, after 24 months of treatment." in page
    )


def test_a_patient_on_treatment_for_under_a_year_is_not_yet_judged(alice, paula, hologic):
    on_alendronate(paula, start=D(2025, 9, 1))
    scan(paula, hologic, D(2025, 8, 20), ("lumbar_spine", "", "0.700", "-3.2"))
    page = record_page(alice, paula)
    assert "Consider treatment" not in page
    assert "response is judged from 1 September 2026, after 12 months." in page
    assert "Review treatment response" not in page
