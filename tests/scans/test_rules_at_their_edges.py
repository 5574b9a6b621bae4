"""The reading rules at their boundaries, on both sides (docs/clinical-rules.md §1–§8)."""

import datetime
from decimal import Decimal

import pytest

from scans.rules.basics import Manufacturer, Menopause, Sex, Site
from scans.rules.diagnosis import (
    Basis,
    Measurement,
    diagnose,
    lowest_t_score,
    menopause_unknown_note,
    uses_z_scores,
)
from scans.rules.follow_up import Event, months_between, treatment_response
from scans.rules.fractures import Detection, fracture_documented, vfa_indication
from scans.rules.monitoring import (
    Direction,
    Precision,
    ScanPoint,
    compare,
    default_precision,
    distinct_places,
)
from scans.rules.references import (
    reference_t_score,
    reference_t_score_exact,
    t_score_consistency_warning,
)
from scans.rules.thresholds import THRESHOLDS_NOT_APPLIED, frax_context, treatment_consideration

D = datetime.date


def measured_lsc(lsc: float) -> Precision:
    return Precision(
        rms_sd=lsc / 2.77,
        lsc=lsc,
        cv_percent=1.3,
        lsc_percent=None,
        measured=True,
        patients=30,
        degrees_of_freedom=30,
    )


def change(before: float, after: float, precision: Precision, site=Site.LUMBAR_SPINE):
    return compare(
        ScanPoint(D(2024, 1, 10), before, Manufacturer.HOLOGIC, 1),
        ScanPoint(D(2026, 1, 10), after, Manufacturer.HOLOGIC, 1),
        site=site,
        precision=precision,
    )


# --- docs/clinical-rules.md §3.1 change against the unrounded LSC ---------------------------------


def test_a_change_just_under_an_lsc_that_rounds_to_it_is_not_significant():
    # 0.033 against an LSC of 0.0332: rounding the LSC to 0.033 first called this significant.
    result = change(0.880, 0.847, measured_lsc(0.0332))
    assert (result.significant, result.direction) == (False, Direction.NO_SIGNIFICANT_CHANGE)
    assert result.lsc_g_cm2 == 0.0332
    # The two print alike at 0.001 g/cm²: one more decimal shows why.
    assert result.explanation == (
        "Change of −0.0330 g/cm² is within the least significant change (0.0332 g/cm²): "
        "no significant change."
    )


def test_a_change_one_step_beyond_that_lsc_is_significant_and_printed_as_usual():
    result = change(0.880, 0.846, measured_lsc(0.0332))
    assert (result.significant, result.direction) == (True, Direction.LOSS)
    assert result.explanation == (
        "Loss of 0.034 g/cm² (−3.9%) exceeds the least significant change of 0.033 g/cm² "
        "for this scanner and site."
    )


def test_a_change_equal_to_the_lsc_reaches_it():
    result = change(0.880, 0.847, measured_lsc(0.0330))
    assert (result.significant, result.direction) == (True, Direction.LOSS)
    assert "Loss of 0.033 g/cm² (−3.8%) reaches the least significant change of 0.033" in (
        result.explanation
    )


def test_a_change_just_over_an_lsc_that_rounds_up_to_it_exceeds_it_with_a_fourth_decimal():
    result = change(0.880, 0.913, measured_lsc(0.0328))
    assert (result.significant, result.direction) == (True, Direction.GAIN)
    assert result.explanation == (
        "Gain of 0.0330 g/cm² (+3.8%) exceeds the least significant change of 0.0328 g/cm² "
        "for this scanner and site."
    )


def test_a_default_lsc_is_not_rounded_before_the_comparison():
    # Spine default 5.3% of 0.812 is 0.043036 g/cm²: a change of 0.043 does not reach it.
    precision = default_precision(Site.LUMBAR_SPINE)
    under = change(0.812, 0.769, precision)
    assert under.direction == Direction.NO_SIGNIFICANT_CHANGE
    assert under.explanation == (
        "Change of −0.04300 g/cm² is within the default least significant change "
        "(0.04304 g/cm², 5.3%, not measured on this scanner): no significant change."
    )
    assert change(0.812, 0.768, precision).direction == Direction.LOSS


def test_a_default_lsc_met_exactly_is_significant():
    # Total hip default 5.0% of 0.800 is exactly 0.040 g/cm².
    precision = default_precision(Site.TOTAL_HIP)
    met = change(0.800, 0.760, precision, site=Site.TOTAL_HIP)
    assert met.direction == Direction.LOSS
    assert "reaches the default least significant change of 0.040 g/cm²" in met.explanation
    assert change(0.800, 0.761, precision, site=Site.TOTAL_HIP).direction == (
        Direction.NO_SIGNIFICANT_CHANGE
    )


@pytest.mark.parametrize(
    ("first", "second", "places"),
    [
        ("0.033", "0.033", 3),
        ("0.033", "0.034", 3),
        ("0.033", "0.0332", 4),
        ("0.043", "0.043036", 5),
        ("0.1", "0.1000000001", 6),
    ],
)
def test_distinct_places_adds_decimals_only_until_the_numbers_differ(first, second, places):
    assert distinct_places(Decimal(first), Decimal(second)) == places


def test_a_measured_lsc_with_a_fourth_decimal_is_described_with_it():
    assert "LSC 0.0332 g/cm²" in measured_lsc(0.0332).description
    assert "LSC 0.033 g/cm²" in measured_lsc(0.0330).description


# --- docs/clinical-rules.md §5.1 the hip T-score check against the unrounded T --------------------


def test_a_reported_t_just_over_0_3_from_the_unrounded_t_is_flagged_with_two_decimals():
    # BMD 0.700 at the femoral neck gives T = −1.3167: −1.0 is 0.317 away. Rounded, the
    # expected −1.3 would look exactly 0.3 away, so the second decimal is shown.
    warning = t_score_consistency_warning(Site.FEMORAL_NECK, 0.700, -1.0)
    assert warning == (
        "Reported T-score −1.0 does not fit BMD 0.700 g/cm² (expected about −1.32 on the "
        "NHANES III reference): check for a typing error or another reference database."
    )


def test_a_reported_t_exactly_0_3_from_the_unrounded_t_is_not_flagged():
    # BMD 0.702 gives T = −1.3 exactly.
    assert t_score_consistency_warning(Site.FEMORAL_NECK, 0.702, -1.0) is None
    assert t_score_consistency_warning(Site.FEMORAL_NECK, 0.702, -1.6) is None
    assert t_score_consistency_warning(Site.FEMORAL_NECK, 0.700, -1.6) is None


def test_a_flag_whose_rounded_figures_already_differ_by_more_than_0_3_keeps_one_decimal():
    warning = t_score_consistency_warning(Site.FEMORAL_NECK, 0.700, -1.7)
    assert "expected about −1.3 on" in warning


def test_the_unrounded_reference_t_score():
    assert reference_t_score_exact(Site.FEMORAL_NECK, 0.702) == Decimal("-1.3")
    assert reference_t_score(Site.FEMORAL_NECK, 0.700) == -1.3
    assert reference_t_score_exact(Site.LUMBAR_SPINE, 0.900) is None


# --- docs/clinical-rules.md §7.2 VFA on T-scores for everyone -------------------------------------


def neck(t: float, z: float | None = 0.0) -> Measurement:
    return Measurement(Site.FEMORAL_NECK, "left", 0.700, t, z)


def test_the_lowest_t_score_is_found_whatever_the_basis():
    spine = Measurement(Site.LUMBAR_SPINE, "", 0.900, -1.4, -0.2, vertebrae="L1-L4")
    single = Measurement(Site.LUMBAR_SPINE, "", 0.700, -3.0, -2.0, vertebrae="L2")
    assert lowest_t_score([spine, neck(-1.1)]) == -1.4
    assert lowest_t_score([single, neck(-1.1)]) == -1.1
    assert lowest_t_score([]) is None


@pytest.mark.parametrize(("t", "indicated"), [(-1.0, False), (-1.1, True)])
def test_vfa_for_a_patient_read_on_z_scores_rests_on_t_below_minus_1(t, indicated):
    vfa = vfa_indication(
        lowest_t=lowest_t_score([neck(t)]),
        sex=Sex.FEMALE,
        age=44,
        historical_height_loss_cm=None,
        prospective_height_loss_cm=None,
        self_reported_vertebral_fracture=False,
        glucocorticoids=True,
        diagnosis_on_z_scores=True,
    )
    assert vfa.indicated is indicated
    if indicated:
        assert vfa.reasons[0] == (
            "T-score −1.1 is below −1.0 (VFA is judged on T-scores, though the diagnosis is "
            "read on Z-scores)."
        )


# --- docs/clinical-rules.md §1.1 fractures by how they were found ---------------------------------


@pytest.mark.parametrize(
    ("detection", "documented"),
    [(Detection.CLINICAL, True), (Detection.IMAGING, True), (Detection.SELF_REPORTED, False)],
)
def test_only_a_clinical_or_imaging_fracture_is_documented(detection, documented):
    assert fracture_documented(detection) is documented


# --- docs/clinical-rules.md §8.1 thresholds that do not apply -------------------------------------


def test_the_thresholds_are_not_applied_to_a_patient_read_on_z_scores():
    result = treatment_consideration(
        hip_or_vertebral_fracture=True,
        measurements=[neck(-2.8)],
        frax_major=30.0,
        frax_hip=5.0,
        basis=Basis.Z_SCORE,
    )
    assert (result.consider, result.applies, result.reasons) == (False, False, ())
    assert result.notes == (THRESHOLDS_NOT_APPLIED,)
    applied = treatment_consideration(
        hip_or_vertebral_fracture=False, measurements=[neck(-2.5)], frax_major=None, frax_hip=None
    )
    assert (applied.consider, applied.applies) == (True, True)


# --- docs/clinical-rules.md §8.2 FRAX in context --------------------------------------------------


@pytest.mark.parametrize(
    ("frax_date", "with_bmd", "neck_on_record", "labels"),
    [
        (D(2025, 3, 1), True, True, ()),
        (
            D(2025, 2, 28),
            True,
            True,
            (
                "FRAX of 28 February 2025 is older than the latest scan (1 March 2025): "
                "recalculate it with the new BMD.",
            ),
        ),
        (
            D(2025, 3, 1),
            False,
            True,
            (
                "FRAX was computed without BMD although a femoral neck BMD is on record: "
                "recalculate it with the BMD.",
            ),
        ),
        (D(2025, 3, 1), False, False, ()),
    ],
)
def test_frax_is_labelled_when_older_than_the_latest_scan_or_without_bmd(
    frax_date, with_bmd, neck_on_record, labels
):
    assert (
        frax_context(
            frax_date=frax_date,
            with_bmd=with_bmd,
            latest_scan_date=D(2025, 3, 1),
            femoral_neck_bmd_on_record=neck_on_record,
        )
        == labels
    )


def test_a_frax_threshold_met_on_an_old_frax_carries_its_label():
    label = "FRAX of 28 February 2025 is older than the latest scan (1 March 2025): ..."
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[neck(-1.8)],
        frax_major=20.0,
        frax_hip=1.0,
        frax_labels=(label,),
    )
    assert result.reasons == (
        "Low bone mass with a FRAX 10-year major osteoporotic fracture probability of 20.0% "
        f"(20% or more). {label}",
    )
    below = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[neck(-1.8)],
        frax_major=19.9,
        frax_hip=2.9,
        frax_labels=(label,),
    )
    assert below.consider is False
    assert below.notes == (f"FRAX below the thresholds (hip 3%, major osteoporotic 20%). {label}",)


# --- docs/clinical-rules.md §2.1 menopausal status unknown ----------------------------------------


@pytest.mark.parametrize(("age", "z_scores"), [(49, True), (50, False)])
def test_an_unknown_status_falls_back_on_age(age, z_scores):
    assert uses_z_scores(sex=Sex.FEMALE, age=age, menopause=Menopause.UNKNOWN) is z_scores


@pytest.mark.parametrize(
    ("age", "note"),
    [
        (39, None),
        (
            40,
            "Menopausal status unknown: read on Z-scores because she is under 50, as for a "
            "premenopausal woman. Record her menopausal status; the reading may change.",
        ),
        (
            60,
            "Menopausal status unknown: read on T-scores (WHO categories) because she is 50 or "
            "over, as for a postmenopausal woman. Record her menopausal status; the reading "
            "may change.",
        ),
        (61, None),
    ],
)
def test_a_woman_of_40_to_60_with_an_unknown_status_is_flagged(age, note):
    assert menopause_unknown_note(sex=Sex.FEMALE, age=age, menopause=Menopause.UNKNOWN) == note


def test_a_known_or_not_applicable_status_is_not_flagged():
    for menopause in (Menopause.POST, Menopause.PRE, Menopause.NOT_APPLICABLE):
        assert menopause_unknown_note(sex=Sex.FEMALE, age=50, menopause=menopause) is None
    assert menopause_unknown_note(sex=Sex.MALE, age=50, menopause=Menopause.UNKNOWN) is None


def test_the_diagnosis_carries_the_unknown_status_note():
    diagnosis = diagnose(
        [neck(-2.0, -1.0)],
        sex=Sex.FEMALE,
        age=52,
        menopause=Menopause.UNKNOWN,
        fragility_fracture=False,
    )
    assert diagnosis.basis == Basis.T_SCORE
    assert diagnosis.notes[-1].startswith("Menopausal status unknown: read on T-scores")


# --- docs/clinical-rules.md §8.3 response to treatment --------------------------------------------

START = D(2024, 1, 15)


@pytest.mark.parametrize(("day", "review"), [(D(2025, 1, 14), False), (D(2025, 1, 15), True)])
def test_a_loss_counts_only_after_12_months_of_treatment(day, review):
    result = treatment_response(
        therapy_start=START,
        today=D(2026, 1, 1),
        significant_losses=[Event(day, "significant loss at the total hip")],
        fragility_fractures=[],
    )
    assert result.review is review
    assert result.judged_from == D(2025, 1, 15)
    if review:
        assert result.reasons == (
            "15 January 2025: significant loss at the total hip, after 12 months of treatment.",
        )


@pytest.mark.parametrize(("day", "review"), [(D(2025, 1, 14), False), (D(2025, 1, 15), True)])
def test_a_new_fragility_fracture_counts_only_after_12_months_of_treatment(day, review):
    result = treatment_response(
        therapy_start=START,
        today=D(2026, 1, 1),
        significant_losses=[],
        fragility_fractures=[Event(day, "new fragility fracture (hip)")],
    )
    assert result.review is review


def test_before_12_months_the_response_is_not_yet_judged():
    early = treatment_response(
        therapy_start=START, today=D(2025, 1, 14), significant_losses=[], fragility_fractures=[]
    )
    assert early.notes == (
        "On treatment since 15 January 2024: response is judged from 15 January 2025, "
        "after 12 months.",
    )
    assert early.source == "IOF working group, Diez-Perez et al., Osteoporos Int 2012;23:2769"
    due = treatment_response(
        therapy_start=START, today=D(2025, 1, 15), significant_losses=[], fragility_fractures=[]
    )
    assert due.notes == ()


@pytest.mark.parametrize(
    ("end", "months"),
    [(D(2025, 1, 14), 11), (D(2025, 1, 15), 12), (D(2024, 1, 1), 0), (D(2024, 2, 29), 1)],
)
def test_months_between_counts_whole_months(end, months):
    assert months_between(START, end) == months
