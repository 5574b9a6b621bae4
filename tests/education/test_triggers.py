"""Each finding fires on a minimal record, with a reason in plain words, not on a near miss."""

import datetime

import pytest

from education.triggers import (
    RISK_FACTORS,
    TRIGGER_CODES,
    FractureFact,
    PatientFacts,
    facts_for,
    findings,
)
from patients.models import Menopause, Treatment
from tests.conftest import make_patient

from .records import add_fracture, add_scan

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 12, 15)
WHO_CODES = {"low_bone_mass", "osteoporosis", "severe_osteoporosis"}


def found(patient, today=TODAY, **kwargs) -> dict[str, str]:
    """Finding code → reason, computed from the database as the sync does."""
    return {f.code: f.reason for f in findings(facts_for(patient, today, **kwargs), today)}


def days_ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


# --- WHO categories --------------------------------------------------------------------------


def test_a_t_score_of_minus_2_5_is_osteoporosis_with_the_scan_in_the_reason(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.5")

    codes = found(paula)

    assert codes["osteoporosis"] == (
        "Your scan on 3 March 2026 showed a T-score of −2.5 at the lumbar spine, "
        "in the osteoporosis range"
    )
    assert "low_bone_mass" not in codes


def test_a_t_score_of_minus_2_4_is_low_bone_mass_not_osteoporosis(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.4")

    codes = found(paula)

    assert "osteoporosis" not in codes
    assert codes["low_bone_mass"].endswith("in the low bone mass (osteopenia) range")


def test_a_t_score_of_minus_1_0_gives_no_who_finding(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-1.0")

    assert WHO_CODES.isdisjoint(found(paula))


def test_osteoporosis_with_a_fragility_fracture_is_severe_only(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.7", site="femoral_neck", bmd="0.534")
    add_fracture(paula, D(2025, 5, 2), site="wrist")

    codes = found(paula)

    assert WHO_CODES & set(codes) == {"severe_osteoporosis"}
    assert "T-score of −2.7 at the left femoral neck" in codes["severe_osteoporosis"]


def test_a_z_score_patient_gets_no_who_finding_however_low_the_t_score(hologic):
    premenopausal = make_patient("MRN-ZARA", date_of_birth=D(1986, 5, 1), menopause=Menopause.PRE)
    add_scan(premenopausal, hologic, D(2026, 3, 3), "-3.1", z_score="-2.6")

    assert WHO_CODES.isdisjoint(found(premenopausal))


@pytest.mark.parametrize("status", ["draft", "reviewed"])
def test_scans_not_released_to_the_patient_are_ignored(status, paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-3.0", status=status)

    assert found(paula) == {"postmenopausal": "You have been through the menopause"}


def test_the_latest_released_scan_decides_even_when_a_newer_one_is_unreleased(paula, hologic):
    add_scan(paula, hologic, D(2024, 3, 3), "-2.0")
    add_scan(paula, hologic, D(2026, 3, 3), "-2.9", status="reviewed")

    codes = found(paula)

    assert "low_bone_mass" in codes and "osteoporosis" not in codes


# --- Significant loss ------------------------------------------------------------------------


def test_loss_beyond_the_lsc_is_a_finding_with_the_percentage_and_dates(paula, hologic):
    add_scan(paula, hologic, D(2022, 6, 14), "-2.0", bmd="0.842")
    add_scan(paula, hologic, D(2024, 6, 18), "-2.3", bmd="0.810")
    add_scan(paula, hologic, D(2026, 6, 16), "-2.7", bmd="0.772")

    assert found(paula)["significant_loss"] == (
        "Your bone density at the lumbar spine fell by 8.3% between 14 June 2022 and "
        "16 June 2026, more than the scanner's normal variation"
    )


def test_loss_within_the_lsc_is_no_finding(paula, hologic):
    add_scan(paula, hologic, D(2024, 6, 18), "-2.0", bmd="0.842")
    add_scan(paula, hologic, D(2026, 6, 16), "-2.1", bmd="0.830")  # −1.4%, LSC 5.3%

    assert "significant_loss" not in found(paula)


def test_loss_on_an_unreleased_scan_is_no_finding(paula, hologic):
    add_scan(paula, hologic, D(2024, 6, 18), "-2.0", bmd="0.842")
    add_scan(paula, hologic, D(2026, 6, 16), "-2.7", bmd="0.772", status="reviewed")

    assert "significant_loss" not in found(paula)


# --- Fractures -------------------------------------------------------------------------------


def test_a_vertebral_fracture_55_days_ago_is_in_the_acute_phase(paula):
    add_fracture(paula, days_ago(55), site="vertebral", mechanism="fragility")

    codes = found(paula)

    assert codes["vertebral_fracture_acute"] == (
        "You had a vertebral (L1) fracture on 21 October 2026: "
        "the first 8 weeks are the acute phase"
    )
    # From 6 weeks on the rehabilitation pages apply as well (the guide's "6–8 weeks").
    assert "vertebral_fracture_rehab" in codes


def test_a_vertebral_fracture_60_days_ago_is_in_rehabilitation_not_acute(paula):
    add_fracture(paula, days_ago(60), site="vertebral", mechanism="fragility")

    codes = found(paula)

    assert "vertebral_fracture_acute" not in codes
    assert codes["vertebral_fracture_rehab"].startswith(
        "You had a vertebral (L1) fracture on 16 October 2026: after the first 6 weeks"
    )


@pytest.mark.parametrize(
    ("days", "acute", "rehab"),
    [
        (0, True, False),
        (41, True, False),
        (42, True, True),
        (56, True, True),
        (57, False, True),
        (365, False, True),
        (366, False, False),
    ],
)
def test_the_phase_boundaries_of_a_vertebral_fracture(days, acute, rehab):
    fracture = FractureFact(
        date=days_ago(days),
        date_display="any",
        exact_day=True,
        site="vertebral",
        vertebral_level="T12",
        mechanism="unknown",  # any mechanism but high trauma counts
    )
    codes = {f.code for f in findings(PatientFacts(fractures=(fracture,)), TODAY)}

    assert ("vertebral_fracture_acute" in codes) is acute
    assert ("vertebral_fracture_rehab" in codes) is rehab


def test_a_high_trauma_fracture_gives_no_fracture_finding(paula):
    add_fracture(paula, days_ago(20), site="vertebral", mechanism="high_trauma")
    add_fracture(paula, days_ago(200), site="hip", mechanism="high_trauma")

    codes = found(paula)

    assert {
        "vertebral_fracture_acute",
        "vertebral_fracture_rehab",
        "fragility_fracture",
    }.isdisjoint(codes)


def test_a_fragility_fracture_is_a_finding_at_any_age(paula):
    add_fracture(paula, D(2015, 4, 1), site="wrist", mechanism="fragility")

    assert found(paula)["fragility_fracture"] == (
        "You had a wrist fracture on 1 April 2015 from a minor fall or strain"
    )


def test_a_fracture_of_unknown_mechanism_is_no_fragility_finding(paula):
    add_fracture(paula, D(2025, 4, 1), site="wrist", mechanism="unknown")

    assert "fragility_fracture" not in found(paula)


def test_a_fracture_entered_in_error_counts_for_nothing(paula):
    fracture = add_fracture(paula, days_ago(20), site="vertebral", mechanism="fragility")
    fracture.mark_entered_in_error("Wrong patient")

    assert found(paula) == {"postmenopausal": "You have been through the menopause"}


def test_a_fracture_known_to_the_month_says_in_which_month(paula):
    add_fracture(paula, D(2026, 11, 1), site="vertebral", date_precision="month")

    assert "fracture in November 2026:" in found(paula)["vertebral_fracture_acute"]


# --- Risk factors, menopause, treatment, scans due ------------------------------------------


@pytest.mark.parametrize(("field", "code"), [(f, c) for f, (c, _) in RISK_FACTORS.items()])
def test_each_risk_factor_is_a_finding(field, code, pete):
    setattr(pete, field, True)
    pete.save()

    codes = found(pete)

    assert set(codes) == {code}
    assert codes[code].startswith("Your record notes")


def test_a_patient_without_risk_factors_has_none(pete):
    assert found(pete) == {}


def test_postmenopausal_only_after_the_menopause(paula):
    assert "postmenopausal" in found(paula)
    paula.menopause = Menopause.PERI
    paula.save()

    assert "postmenopausal" not in found(paula)


def test_an_active_bone_treatment_is_a_finding_and_a_supplement_is_not(pete):
    Treatment.objects.create(
        patient=pete, drug_class="calcium_vitamin_d", name="Adcal-D3", start=D(2025, 1, 1)
    )
    assert "on_treatment" not in found(pete)

    Treatment.objects.create(
        patient=pete, drug_class="bisphosphonate", name="alendronate", start=D(2025, 1, 1)
    )
    assert found(pete)["on_treatment"] == "You are taking a treatment for your bones"


def test_a_stopped_treatment_is_no_finding(pete):
    Treatment.objects.create(
        patient=pete,
        drug_class="bisphosphonate",
        name="alendronate",
        start=D(2020, 1, 1),
        stop=D(2025, 1, 1),
    )

    assert "on_treatment" not in found(pete)


def test_a_scan_due_within_60_days_is_a_finding(pete, hologic):
    # Untreated: the next scan is due 24 months after the last (settings).
    add_scan(pete, hologic, D(2025, 2, 10), "-1.5")

    assert found(pete)["scan_due"] == "Your next bone density scan is due on 10 February 2027"


def test_a_scan_due_in_more_than_60_days_is_no_finding(pete, hologic):
    add_scan(pete, hologic, D(2025, 2, 14), "-1.5")  # due 14 February 2027: 61 days

    assert "scan_due" not in found(pete)


def test_an_overdue_scan_is_a_finding(pete, hologic):
    add_scan(pete, hologic, D(2023, 5, 2), "-1.5")

    assert found(pete)["scan_due"] == "Your next bone density scan was due on 2 May 2025"


def test_a_scan_waiting_for_release_means_no_scan_is_due(pete, hologic):
    add_scan(pete, hologic, D(2023, 5, 2), "-1.5")
    add_scan(pete, hologic, D(2026, 12, 1), "-1.6", status="draft")

    assert "scan_due" not in found(pete)


# --- Symptoms and the vocabulary -------------------------------------------------------------


def test_symptom_findings_given_to_the_facts_become_findings(pete):
    codes = found(pete, symptom_findings=frozenset({"back_pain", "red_flags", "made_up"}))

    assert set(codes) == {"back_pain", "red_flags"}
    assert codes["back_pain"] == "You reported back pain"


def test_findings_come_most_specific_first(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.7")
    add_fracture(paula, days_ago(10), site="vertebral")
    paula.smoking = True
    paula.save()

    codes = list(found(paula))

    assert codes == sorted(codes, key=TRIGGER_CODES.index)
    assert codes[0] == "vertebral_fracture_acute"


def test_facts_for_reads_the_record_in_a_fixed_number_of_queries(
    paula, hologic, django_assert_max_num_queries
):
    for year in (2020, 2022, 2024, 2026):
        add_scan(paula, hologic, D(year, 3, 3), "-2.5")
        add_fracture(paula, D(year, 1, 1))

    with django_assert_max_num_queries(9):
        facts_for(paula, TODAY)
