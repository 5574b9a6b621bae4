"""Densitometry rules, with the numbers of docs/clinical-rules.md and their boundaries."""

import datetime

import pytest

from scans.rules.basics import (
    DIAGNOSTIC_SITES,
    SITE_LABELS,
    Manufacturer,
    Menopause,
    Sex,
    Site,
    add_months,
    format_score,
    round_score,
)
from scans.rules.diagnosis import (
    Basis,
    Measurement,
    WhoCategory,
    ZCategory,
    diagnose,
    uses_z_scores,
    who_category,
    who_label,
    z_category,
    z_label,
)
from scans.rules.follow_up import ScanIntervals, next_scan_due
from scans.rules.fractures import GENANT_LABELS, genant_grade, vfa_indication
from scans.rules.manufacturers import standardized_bmd
from scans.rules.monitoring import (
    Comparability,
    Direction,
    Precision,
    ScanPoint,
    compare,
    default_precision,
    lsc_g_cm2,
    precision_from_study,
)
from scans.rules.references import reference_t_score, t_score_consistency_warning
from scans.rules.spine import spine_vertebrae_warning
from scans.rules.thresholds import treatment_consideration

FEMALE, MALE = Sex.FEMALE, Sex.MALE
SPINE, NECK, HIP, RADIUS = Site.LUMBAR_SPINE, Site.FEMORAL_NECK, Site.TOTAL_HIP, Site.RADIUS_33
HOLOGIC, LUNAR, NORLAND, OTHER = (
    Manufacturer.HOLOGIC,
    Manufacturer.GE_LUNAR,
    Manufacturer.NORLAND,
    Manufacturer.OTHER,
)


def day(text):
    return datetime.date.fromisoformat(text)


# --- vocabularies -----------------------------------------------------------------------------


def test_codes_match_the_model_choices():
    assert [s.value for s in Site] == ["lumbar_spine", "femoral_neck", "total_hip", "radius_33"]
    assert [m.value for m in Manufacturer] == ["hologic", "ge_lunar", "norland", "other"]
    assert [c.value for c in WhoCategory] == [
        "normal",
        "low_bone_mass",
        "osteoporosis",
        "severe_osteoporosis",
    ]
    assert [c.value for c in ZCategory] == ["within_expected", "below_expected"]
    assert set(DIAGNOSTIC_SITES) == {SPINE, HIP, NECK}
    assert SITE_LABELS[SPINE] == "Lumbar spine L1–L4"
    assert SITE_LABELS[RADIUS] == "33% radius"


# --- rounding (docs/clinical-rules.md §1) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [
        (-2.45, -2.5),
        (-2.44, -2.4),
        (2.45, 2.5),
        (-1.05, -1.1),
        (-0.95, -1.0),
        (1.25, 1.3),  # Python's round() would give 1.2 (half to even)
        (0.04, 0.0),
        (-3.0, -3.0),
    ],
)
def test_it_rounds_scores_half_away_from_zero(raw, rounded):
    assert round_score(raw) == rounded


@pytest.mark.parametrize(
    ("score", "text"), [(-2.5, "−2.5"), (-0.04, "0.0"), (1.25, "1.3"), (0.0, "0.0")]
)
def test_it_displays_scores_with_a_real_minus_sign(score, text):
    assert format_score(score) == text


# --- WHO categories (docs/clinical-rules.md §1) ---------------------------------------------------


@pytest.mark.parametrize(
    ("t", "fracture", "category"),
    [
        pytest.param(0.5, False, WhoCategory.NORMAL, id="positive_is_normal"),
        pytest.param(-1.0, False, WhoCategory.NORMAL, id="minus_1_0_is_normal"),
        pytest.param(-1.04, False, WhoCategory.NORMAL, id="minus_1_04_rounds_to_normal"),
        pytest.param(-1.05, False, WhoCategory.LOW_BONE_MASS, id="minus_1_05_rounds_to_low"),
        pytest.param(-1.1, False, WhoCategory.LOW_BONE_MASS, id="minus_1_1_is_low"),
        pytest.param(-2.4, False, WhoCategory.LOW_BONE_MASS, id="minus_2_4_is_low"),
        pytest.param(-2.44, False, WhoCategory.LOW_BONE_MASS, id="minus_2_44_rounds_to_low"),
        pytest.param(-2.45, False, WhoCategory.OSTEOPOROSIS, id="minus_2_45_rounds_to_osteo"),
        pytest.param(-2.5, False, WhoCategory.OSTEOPOROSIS, id="minus_2_5_is_osteoporosis"),
        pytest.param(-3.6, False, WhoCategory.OSTEOPOROSIS, id="minus_3_6_is_osteoporosis"),
        pytest.param(-2.5, True, WhoCategory.SEVERE, id="minus_2_5_and_fracture_is_severe"),
        pytest.param(-2.4, True, WhoCategory.LOW_BONE_MASS, id="fracture_alone_is_not_severe"),
        pytest.param(-0.5, True, WhoCategory.NORMAL, id="fracture_with_normal_t"),
    ],
)
def test_it_calls_the_who_category_on_the_rounded_t_score(t, fracture, category):
    assert who_category(t, fragility_fracture=fracture) == category


def test_it_calls_minus_2_5_osteoporosis():
    assert who_category(-2.5) == WhoCategory.OSTEOPOROSIS
    assert who_label(who_category(-2.5)) == "Osteoporosis"


@pytest.mark.parametrize(
    ("category", "label"),
    [
        (WhoCategory.NORMAL, "Normal"),
        (WhoCategory.LOW_BONE_MASS, "Low bone mass (osteopenia)"),
        (WhoCategory.OSTEOPOROSIS, "Osteoporosis"),
        (WhoCategory.SEVERE, "Severe (established) osteoporosis"),
    ],
)
def test_it_names_low_bone_mass_and_osteopenia_together(category, label):
    assert who_label(category) == label


@pytest.mark.parametrize(
    ("z", "category"),
    [
        (-2.0, ZCategory.BELOW),
        (-1.95, ZCategory.BELOW),  # rounds to −2.0
        (-1.94, ZCategory.WITHIN),
        (-1.9, ZCategory.WITHIN),
        (-3.2, ZCategory.BELOW),
        (0.4, ZCategory.WITHIN),
    ],
)
def test_it_calls_z_minus_2_0_below_the_expected_range(z, category):
    assert z_category(z) == category


def test_it_words_z_categories_for_age():
    assert z_label(ZCategory.BELOW) == "Below the expected range for age"
    assert z_label(ZCategory.WITHIN) == "Within the expected range for age"


@pytest.mark.parametrize(
    ("sex", "age", "menopause", "z"),
    [
        pytest.param(FEMALE, 45, Menopause.PRE, True, id="premenopausal_woman"),
        pytest.param(FEMALE, 53, Menopause.PRE, True, id="premenopausal_woman_over_50"),
        pytest.param(FEMALE, 48, Menopause.PERI, False, id="menopausal_transition_uses_who"),
        pytest.param(FEMALE, 46, Menopause.POST, False, id="early_menopause_uses_who"),
        pytest.param(FEMALE, 49, Menopause.NOT_APPLICABLE, True, id="woman_na_under_50"),
        pytest.param(FEMALE, 50, Menopause.NOT_APPLICABLE, False, id="woman_na_at_50"),
        pytest.param(MALE, 49, Menopause.NOT_APPLICABLE, True, id="man_under_50"),
        pytest.param(MALE, 50, Menopause.NOT_APPLICABLE, False, id="man_at_50"),
    ],
)
def test_it_uses_z_scores_for_premenopausal_women_and_men_under_50(sex, age, menopause, z):
    assert uses_z_scores(sex=sex, age=age, menopause=menopause) is z


# --- diagnosis (docs/clinical-rules.md §1, §2) ----------------------------------------------------


def m(site, t=None, z=None, *, side="", bmd=0.800, vertebrae=""):
    return Measurement(site=site, side=side, bmd=bmd, t_score=t, z_score=z, vertebrae=vertebrae)


POSTMENOPAUSAL = {"sex": FEMALE, "age": 65, "menopause": Menopause.POST}


def test_it_diagnoses_on_the_lowest_t_score_of_the_diagnostic_sites():
    result = diagnose(
        [m(SPINE, -2.7), m(HIP, -1.9, side="left"), m(NECK, -2.2, side="left")],
        **POSTMENOPAUSAL,
        fragility_fracture=False,
    )
    assert result.basis == Basis.T_SCORE
    assert result.category == WhoCategory.OSTEOPOROSIS
    assert (result.site, result.score) == (SPINE, -2.7)
    assert result.summary == "Osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4."
    assert result.label == "Osteoporosis"


def test_it_counts_each_hip_separately():
    result = diagnose(
        [m(SPINE, -1.5), m(NECK, -2.0, side="left"), m(NECK, -2.6, side="right")],
        **POSTMENOPAUSAL,
        fragility_fracture=False,
    )
    assert (result.site, result.side, result.score) == (NECK, "right", -2.6)
    assert result.summary == "Osteoporosis: lowest T-score −2.6 at the right femoral neck."


def test_it_calls_severe_osteoporosis_with_a_fragility_fracture():
    result = diagnose([m(SPINE, -2.7), m(HIP, -1.0)], **POSTMENOPAUSAL, fragility_fracture=True)
    assert result.category == WhoCategory.SEVERE
    assert result.summary == (
        "Severe (established) osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4, "
        "with a fragility fracture."
    )


def test_it_calls_low_bone_mass_with_both_words():
    result = diagnose([m(HIP, -1.8, side="left")], **POSTMENOPAUSAL, fragility_fracture=False)
    assert (
        result.summary == "Low bone mass (osteopenia): lowest T-score −1.8 at the left total hip."
    )


def test_equal_lowest_scores_name_the_spine_first():
    result = diagnose([m(HIP, -2.5), m(SPINE, -2.5)], **POSTMENOPAUSAL, fragility_fracture=False)
    assert result.site == SPINE


@pytest.mark.parametrize(
    ("measurements", "indicated", "site", "score", "note"),
    [
        pytest.param(
            [m(RADIUS, -2.8, side="left")],
            False,
            RADIUS,
            -2.8,
            "The 33% radius was used because no hip or spine T-score was available.",
            id="radius_when_nothing_else",
        ),
        pytest.param(
            [m(SPINE, -1.2), m(HIP, -1.0), m(RADIUS, -3.0, side="left")],
            False,
            SPINE,
            -1.2,
            None,
            id="radius_ignored_when_spine_and_hip_present",
        ),
        pytest.param(
            [m(SPINE, -1.2), m(RADIUS, -3.0, side="left")],
            False,
            RADIUS,
            -3.0,
            "The 33% radius was included because no hip T-score could be used.",
            id="radius_joins_when_the_hip_is_missing",
        ),
        pytest.param(
            [m(HIP, -1.4), m(RADIUS, -2.6, side="left")],
            False,
            RADIUS,
            -2.6,
            "The 33% radius was included because no lumbar spine T-score could be used.",
            id="radius_joins_when_the_spine_is_missing",
        ),
        pytest.param(
            [m(SPINE, -1.2), m(RADIUS, -3.0, side="left")],
            True,
            RADIUS,
            -3.0,
            "The 33% radius was included because it is indicated "
            "(hyperparathyroidism or a very obese patient).",
            id="radius_when_indicated",
        ),
        pytest.param(
            [m(SPINE, None), m(RADIUS, -2.1, side="right")],
            False,
            RADIUS,
            -2.1,
            "The 33% radius was used because no hip or spine T-score was available.",
            id="radius_when_spine_has_no_t_score",
        ),
    ],
)
def test_it_uses_the_33_percent_radius_only_as_iscd_allows(
    measurements, indicated, site, score, note
):
    result = diagnose(
        measurements, **POSTMENOPAUSAL, fragility_fracture=False, radius_indicated=indicated
    )
    assert (result.site, result.score) == (site, score)
    if note is None:
        assert not any("radius" in n for n in result.notes)
    else:
        assert note in result.notes


def test_it_words_the_radius_in_the_summary():
    result = diagnose([m(RADIUS, -2.8, side="left")], **POSTMENOPAUSAL, fragility_fracture=False)
    assert result.summary == "Osteoporosis: lowest T-score −2.8 at the left 33% radius."


def test_it_uses_z_scores_for_a_premenopausal_woman():
    result = diagnose(
        [m(SPINE, t=-2.9, z=-2.3), m(NECK, t=-1.4, z=-1.5, side="left")],
        sex=FEMALE,
        age=40,
        menopause=Menopause.PRE,
        fragility_fracture=False,
    )
    assert result.basis == Basis.Z_SCORE
    assert result.category == ZCategory.BELOW
    assert result.score == -2.3
    assert result.summary == (
        "Below the expected range for age: lowest Z-score −2.3 at the lumbar spine L1–L4."
    )
    assert any("not diagnosed on BMD alone" in note for note in result.notes)


@pytest.mark.parametrize("fracture", [False, True])
def test_it_never_calls_osteoporosis_from_bmd_in_a_man_under_50(fracture):
    result = diagnose(
        [m(SPINE, t=-3.4, z=-3.1)],
        sex=MALE,
        age=42,
        menopause=Menopause.NOT_APPLICABLE,
        fragility_fracture=fracture,
    )
    assert result.category == ZCategory.BELOW
    assert not isinstance(result.category, WhoCategory)
    assert "steoporosis:" not in result.summary


def test_it_says_within_the_expected_range_for_age():
    result = diagnose(
        [m(HIP, t=-1.6, z=-1.0, side="left")],
        sex=MALE,
        age=35,
        menopause=Menopause.NOT_APPLICABLE,
        fragility_fracture=False,
    )
    assert result.summary == (
        "Within the expected range for age: lowest Z-score −1.0 at the left total hip."
    )


def test_a_man_of_50_is_classified_on_t_scores():
    result = diagnose(
        [m(SPINE, t=-2.6, z=-2.0)],
        sex=MALE,
        age=50,
        menopause=Menopause.NOT_APPLICABLE,
        fragility_fracture=False,
    )
    assert (result.basis, result.category) == (Basis.T_SCORE, WhoCategory.OSTEOPOROSIS)


def test_the_menopausal_transition_uses_who_categories_and_says_so():
    result = diagnose(
        [m(SPINE, t=-2.6, z=-1.9)],
        sex=FEMALE,
        age=48,
        menopause=Menopause.PERI,
        fragility_fracture=False,
    )
    assert result.category == WhoCategory.OSTEOPOROSIS
    assert "Menopausal transition: WHO categories on T-scores are used." in result.notes


def test_it_leaves_out_a_spine_result_from_a_single_vertebra():
    result = diagnose(
        [m(SPINE, -3.0, vertebrae="L3"), m(HIP, -1.5, side="left")],
        **POSTMENOPAUSAL,
        fragility_fracture=False,
    )
    assert (result.site, result.category) == (HIP, WhoCategory.LOW_BONE_MASS)
    assert any(note.startswith("Only one vertebra (L3) was used") for note in result.notes)


def test_it_names_the_vertebrae_used_in_the_summary():
    result = diagnose(
        [m(SPINE, -2.6, vertebrae="L1,L2,L4")], **POSTMENOPAUSAL, fragility_fracture=False
    )
    assert result.summary == "Osteoporosis: lowest T-score −2.6 at the lumbar spine L1, L2, L4."


@pytest.mark.parametrize(
    "measurements",
    [
        pytest.param([], id="no_measurements"),
        pytest.param([m(SPINE, None), m(HIP, None)], id="no_scores"),
        pytest.param([m(SPINE, z=-2.5)], id="only_z_for_a_t_score_patient"),
    ],
)
def test_it_returns_none_when_nothing_is_diagnostic(measurements):
    assert diagnose(measurements, **POSTMENOPAUSAL, fragility_fracture=False) is None


@pytest.mark.parametrize(
    ("side", "bmd"), [("Left", 0.8), ("left", 0.0), ("", -0.5), ("", float("nan"))]
)
def test_a_measurement_rejects_an_impossible_side_or_bmd(side, bmd):
    with pytest.raises(ValueError):
        Measurement(site=HIP, side=side, bmd=bmd, t_score=-1.0, z_score=None)


# --- lumbar vertebrae (docs/clinical-rules.md §2) -------------------------------------------------


@pytest.mark.parametrize(
    "vertebrae", ["L1-L4", "L1–L4", "l1 - l4", "L2-L4", "L1,L2,L4", "L1-2", "L2, L3", "", "  "]
)
def test_it_accepts_two_or_more_vertebrae(vertebrae):
    assert spine_vertebrae_warning(vertebrae) is None


@pytest.mark.parametrize(
    ("vertebrae", "single"), [("L3", "L3"), ("L1-L1", "L1"), ("L2,L2", "L2"), ("l4", "L4")]
)
def test_it_warns_that_a_single_vertebra_is_never_used(vertebrae, single):
    assert spine_vertebrae_warning(vertebrae) == (
        f"Only one vertebra ({single}) was used: a single vertebra is never used for diagnosis."
    )


@pytest.mark.parametrize("vertebrae", ["spine", "L5", "T12-L4", "L4-L1", "L1-L4-", "1-4"])
def test_it_warns_clearly_about_unreadable_vertebrae(vertebrae):
    warning = spine_vertebrae_warning(vertebrae)
    assert warning.startswith(f'The vertebrae "{vertebrae}" could not be read')
    assert warning.endswith('write them like "L1-L4" or "L1,L2,L4".')


# --- precision and LSC (docs/clinical-rules.md §4) ------------------------------------------------

# 15 patients whose two scans differ by 0.020 and 15 whose scans agree: SDⱼ² = 0.0002 or 0,
# RMS-SD = sqrt(15 × 0.0002 / 30) = 0.010, mean BMD 1.005.
PAIRS = [(1.000, 1.020)] * 15 + [(1.000, 1.000)] * 15
# 15 patients scanned three times 0.99, 1.00, 1.01: SDⱼ = 0.010, mean BMD 1.000.
TRIPLES = [(0.990, 1.000, 1.010)] * 15


@pytest.mark.parametrize(
    ("groups", "rms_sd", "cv", "patients", "dof"),
    [
        pytest.param(PAIRS, 0.010, 0.010 / 1.005 * 100, 30, 30, id="30_patients_twice"),
        pytest.param(TRIPLES, 0.010, 1.0, 15, 30, id="15_patients_three_times"),
        # Mixed: SDⱼ² = 0.00045 for (0.900, 0.930) and 0.00023333 for (1.00, 1.01, 1.03);
        # 9 + 18 = 27 degrees of freedom, the minimum; mean BMD 43.83 / 45.
        pytest.param(
            [(0.900, 0.930)] * 9 + [(1.000, 1.010, 1.030)] * 9,
            0.0184842,
            0.0184842 / (43.83 / 45) * 100,
            18,
            27,
            id="27_degrees_of_freedom_mixed",
        ),
    ],
)
def test_it_computes_rms_sd_lsc_and_cv_from_a_precision_study(groups, rms_sd, cv, patients, dof):
    precision = precision_from_study(groups)
    assert precision.rms_sd == pytest.approx(rms_sd, rel=1e-5)
    assert precision.lsc == pytest.approx(2.77 * rms_sd, rel=1e-5)
    assert precision.cv_percent == pytest.approx(cv, rel=1e-5)
    assert precision.lsc_percent == pytest.approx(2.77 * cv, rel=1e-5)
    assert precision.measured is True
    assert (precision.patients, precision.degrees_of_freedom) == (patients, dof)


def test_it_describes_a_measured_precision_in_g_cm2():
    assert precision_from_study(PAIRS).description == (
        "RMS-SD 0.010 g/cm², LSC 0.0277 g/cm² (%CV 1.0%)"
    )


@pytest.mark.parametrize(
    ("groups", "message"),
    [
        pytest.param(
            [(1.0, 1.01)] * 20,
            "A precision study needs at least 27 degrees of freedom (30 patients scanned twice "
            "or 15 three times); this one has 20.",
            id="20_degrees_of_freedom",
        ),
        pytest.param(
            [(1.0, 1.01)] * 26,
            "A precision study needs at least 27 degrees of freedom (30 patients scanned twice "
            "or 15 three times); this one has 26.",
            id="26_degrees_of_freedom",
        ),
        pytest.param(
            [(1.0, 1.01), (1.0, 1.01), (1.0,)] + [(1.0, 1.01)] * 30,
            "Patient 3 has only one scan: every patient in a precision study needs 2 or 3 scans",
            id="one_scan",
        ),
        pytest.param(
            [(0.0, 1.01)] + [(1.0, 1.01)] * 30,
            "Patient 1 has a BMD of 0.0 g/cm²: every BMD must be above zero.",
            id="zero_bmd",
        ),
        pytest.param(
            [(1.0, 1.01)] * 30 + [(1.0, -1.0)],
            "Patient 31 has a BMD of -1.0 g/cm²: every BMD must be above zero.",
            id="negative_bmd",
        ),
        pytest.param([], "this one has 0.", id="no_patients"),
    ],
)
def test_it_refuses_a_precision_study_a_clinician_should_repeat(groups, message):
    with pytest.raises(ValueError) as error:
        precision_from_study(groups)
    assert message in str(error.value)


@pytest.mark.parametrize(
    ("site", "cv", "lsc_percent", "description"),
    [
        (SPINE, 1.9, 5.3, "default, not measured: LSC 5.3% (%CV 1.9%)"),
        (HIP, 1.8, 5.0, "default, not measured: LSC 5.0% (%CV 1.8%)"),
        (NECK, 2.5, 6.9, "default, not measured: LSC 6.9% (%CV 2.5%)"),
        (RADIUS, None, None, "no precision known"),
    ],
)
def test_the_default_precision_is_the_iscd_minimum_and_says_not_measured(
    site, cv, lsc_percent, description
):
    precision = default_precision(site)
    assert (precision.cv_percent, precision.lsc_percent) == (cv, lsc_percent)
    assert (precision.measured, precision.lsc, precision.rms_sd) == (False, None, None)
    assert precision.description == description


@pytest.mark.parametrize(
    ("precision", "baseline", "lsc"),
    [
        pytest.param(default_precision(SPINE), 0.800, 0.0424, id="spine_5_3_percent_of_0_800"),
        pytest.param(default_precision(HIP), 1.000, 0.050, id="hip_5_0_percent_of_1_000"),
        pytest.param(default_precision(NECK), 0.700, 0.0483, id="neck_6_9_percent_of_0_700"),
        pytest.param(default_precision(RADIUS), 0.700, None, id="radius_none"),
    ],
)
def test_a_default_lsc_is_a_percentage_of_the_baseline_bmd(precision, baseline, lsc):
    assert lsc_g_cm2(precision, baseline) == lsc


def test_a_measured_lsc_is_used_as_is_whatever_the_baseline():
    precision = precision_from_study(PAIRS)
    assert lsc_g_cm2(precision, 0.600) == precision.lsc
    assert lsc_g_cm2(precision, 1.200) == precision.lsc


# --- standardized BMD (docs/clinical-rules.md §6) -------------------------------------------------


@pytest.mark.parametrize(
    ("manufacturer", "site", "bmd", "sbmd"),
    [
        (HOLOGIC, HIP, 0.800, 812.4),
        (LUNAR, HIP, 1.000, 948.0),
        (NORLAND, HIP, 1.000, 1038.0),
        (HOLOGIC, NECK, 0.700, 779.9),
        (LUNAR, NECK, 1.000, 916.0),
        (NORLAND, NECK, 0.800, 794.0),
        (HOLOGIC, SPINE, 0.972, 1043.6),
        (LUNAR, SPINE, 1.100, 1043.6),
        (NORLAND, SPINE, 0.969, 1043.6),
        (HOLOGIC, SPINE, 1.072, 1149.1),
        (OTHER, HIP, 0.800, None),
        (HOLOGIC, RADIUS, 0.700, None),
    ],
)
def test_it_standardizes_bmd_in_mg_cm2(manufacturer, site, bmd, sbmd):
    assert standardized_bmd(manufacturer, site, bmd) == sbmd


# --- serial change (docs/clinical-rules.md §3, §4, §6) --------------------------------------------

MEASURED = Precision(
    rms_sd=0.012,
    lsc=0.033,
    cv_percent=1.3,
    lsc_percent=3.6,
    measured=True,
    patients=30,
    degrees_of_freedom=30,
)


def scan(when, bmd, manufacturer=HOLOGIC, device=1):
    return ScanPoint(date=day(when), bmd=bmd, manufacturer=manufacturer, device_id=device)


@pytest.mark.parametrize(
    ("after", "significant", "direction", "explanation"),
    [
        pytest.param(
            0.835,
            True,
            Direction.LOSS,
            "Loss of 0.045 g/cm² (−5.1%) exceeds the least significant change of 0.033 g/cm² "
            "for this scanner and site.",
            id="loss_beyond_lsc",
        ),
        pytest.param(
            0.847,
            True,
            Direction.LOSS,
            "Loss of 0.033 g/cm² (−3.8%) reaches the least significant change of 0.033 g/cm² "
            "for this scanner and site.",
            id="loss_equal_to_lsc_is_significant",
        ),
        pytest.param(
            0.848,
            False,
            Direction.NO_SIGNIFICANT_CHANGE,
            "Change of −0.032 g/cm² is within the least significant change (0.033 g/cm²): "
            "no significant change.",
            id="loss_just_under_lsc",
        ),
        pytest.param(
            0.870,
            False,
            Direction.NO_SIGNIFICANT_CHANGE,
            "Change of −0.010 g/cm² is within the least significant change (0.033 g/cm²): "
            "no significant change.",
            id="small_loss",
        ),
        pytest.param(
            0.913,
            True,
            Direction.GAIN,
            "Gain of 0.033 g/cm² (+3.8%) reaches the least significant change of 0.033 g/cm² "
            "for this scanner and site.",
            id="gain_equal_to_lsc",
        ),
        pytest.param(
            0.900,
            False,
            Direction.NO_SIGNIFICANT_CHANGE,
            "Change of +0.020 g/cm² is within the least significant change (0.033 g/cm²): "
            "no significant change.",
            id="small_gain",
        ),
    ],
)
def test_it_flags_a_change_on_the_same_scanner_only_at_or_beyond_the_lsc(
    after, significant, direction, explanation
):
    change = compare(
        scan("2024-01-10", 0.880), scan("2026-01-10", after), site=SPINE, precision=MEASURED
    )
    assert change.comparability == Comparability.SAME_DEVICE
    assert change.delta_g_cm2 == round(after - 0.880, 3)
    assert change.significant is significant
    assert change.direction == direction
    assert change.explanation == explanation
    assert change.precision_is_default is False
    assert change.lsc_g_cm2 == 0.033


def test_it_labels_a_default_lsc():
    change = compare(
        scan("2024-01-10", 0.800),
        scan("2026-01-10", 0.756),
        site=SPINE,
        precision=default_precision(SPINE),
    )
    assert (change.significant, change.direction) == (True, Direction.LOSS)
    assert change.precision_is_default is True
    assert change.lsc_g_cm2 == 0.0424
    assert change.explanation == (
        "Loss of 0.044 g/cm² (−5.5%) exceeds the default least significant change of "
        "0.042 g/cm² (5.3%, not measured on this scanner)."
    )


def test_a_change_within_a_default_lsc_says_default():
    change = compare(
        scan("2024-01-10", 0.800),
        scan("2026-01-10", 0.790),
        site=SPINE,
        precision=default_precision(SPINE),
    )
    assert change.explanation == (
        "Change of −0.010 g/cm² is within the default least significant change "
        "(0.042 g/cm², 5.3%, not measured on this scanner): no significant change."
    )


def test_it_does_not_judge_without_a_known_lsc():
    change = compare(
        scan("2024-01-10", 0.700),
        scan("2026-01-10", 0.600),
        site=RADIUS,
        precision=default_precision(RADIUS),
    )
    assert (change.significant, change.direction) == (None, Direction.NOT_JUDGED)
    assert change.delta_g_cm2 == -0.1
    assert change.explanation == "No least significant change known for this site: not judged."
    assert change.precision_is_default is False


def test_another_scanner_of_the_same_maker_is_compared_but_not_judged():
    change = compare(
        scan("2024-01-10", 0.880, device=1),
        scan("2026-01-10", 0.800, device=2),
        site=SPINE,
        precision=MEASURED,
    )
    assert change.comparability == Comparability.SAME_MANUFACTURER
    assert change.delta_g_cm2 == -0.08
    assert change.percent == -9.1
    assert (change.significant, change.direction) == (None, Direction.NOT_JUDGED)
    assert change.explanation == (
        "Different scanner of the same manufacturer: compared but not judged significant "
        "without cross-calibration."
    )


def test_another_manufacturer_is_compared_on_standardized_bmd_and_never_significant():
    # Hologic 0.800 → sBMD 812.4; GE Lunar 0.900 → sBMD 1000 × (−0.031 + 0.979 × 0.900) = 850.1.
    change = compare(
        scan("2024-01-10", 0.800, HOLOGIC, device=1),
        scan("2026-01-10", 0.900, LUNAR, device=2),
        site=HIP,
        precision=MEASURED,
    )
    assert change.comparability == Comparability.CROSS_MANUFACTURER
    assert change.standardized is True
    assert change.delta_g_cm2 == 0.038  # not the raw 0.100
    assert change.percent == 4.6
    assert (change.significant, change.direction) == (None, Direction.NOT_JUDGED)
    assert change.explanation == (
        "Approximate: different manufacturer (compared through standardized BMD, Fan 2010 "
        "error 4–7%); not judged significant."
    )


@pytest.mark.parametrize(
    ("earlier", "later", "site"),
    [
        pytest.param(scan("2024-01-10", 0.8, OTHER, 1), scan("2026-01-10", 0.7, OTHER, 2), HIP),
        pytest.param(scan("2024-01-10", 0.8, HOLOGIC, 1), scan("2026-01-10", 0.7, OTHER, 2), HIP),
        pytest.param(
            scan("2024-01-10", 0.7, HOLOGIC, 1), scan("2026-01-10", 0.6, LUNAR, 2), RADIUS
        ),
    ],
)
def test_it_does_not_compare_scanners_without_standardized_bmd(earlier, later, site):
    change = compare(earlier, later, site=site, precision=MEASURED)
    assert change.comparability == Comparability.NOT_COMPARABLE
    assert (change.delta_g_cm2, change.percent, change.percent_per_year) == (None, None, None)
    assert (change.significant, change.direction) == (None, Direction.NOT_JUDGED)
    assert change.explanation.startswith("Not comparable: a different scanner")


def test_an_unknown_maker_on_the_same_scanner_is_still_judged():
    change = compare(
        scan("2024-01-10", 0.880, OTHER, 7),
        scan("2026-01-10", 0.835, OTHER, 7),
        site=SPINE,
        precision=MEASURED,
    )
    assert (change.comparability, change.significant) == (Comparability.SAME_DEVICE, True)


@pytest.mark.parametrize(
    ("later", "years", "per_year"),
    [
        pytest.param("2026-01-01", 2.0, -2.5, id="two_years"),  # −5.0% over 731 days
        pytest.param("2025-01-01", 1.0, -5.0, id="one_year"),
        pytest.param("2024-07-02", 0.5, -10.0, id="183_days_has_a_rate"),
        pytest.param("2024-07-01", 0.5, None, id="182_days_has_no_rate"),
        pytest.param("2024-01-01", 0.0, None, id="same_day"),
    ],
)
def test_it_annualizes_the_change_only_over_half_a_year_or_more(later, years, per_year):
    change = compare(scan("2024-01-01", 0.800), scan(later, 0.760), site=SPINE, precision=MEASURED)
    assert change.percent == -5.0
    assert change.years == years
    assert change.percent_per_year == per_year


def test_it_refuses_scans_in_the_wrong_order():
    with pytest.raises(ValueError, match="dated before the earlier scan"):
        compare(scan("2026-01-01", 0.8), scan("2024-01-01", 0.7), site=HIP, precision=MEASURED)


# --- reference T-scores (docs/clinical-rules.md §5) -----------------------------------------------


@pytest.mark.parametrize(
    ("site", "bmd", "t"),
    [
        (NECK, 0.558, -2.5),
        (NECK, 0.858, 0.0),
        (NECK, 0.738, -1.0),
        (NECK, 0.378, -4.0),
        (HIP, 1.064, 1.0),
        (HIP, 0.942, 0.0),
        (HIP, 0.637, -2.5),
        (SPINE, 0.900, None),
        (RADIUS, 0.600, None),
    ],
)
def test_it_computes_a_hip_t_score_from_the_nhanes_reference(site, bmd, t):
    assert reference_t_score(site, bmd) == t


def test_it_computes_no_reference_t_score_off_the_hologic_scale():
    assert reference_t_score(NECK, 0.558, manufacturer=LUNAR) is None
    assert reference_t_score(NECK, 0.558, manufacturer=HOLOGIC) == -2.5


def test_it_warns_when_a_reported_t_score_does_not_fit_the_bmd():
    assert t_score_consistency_warning(NECK, 0.558, -1.0) == (
        "Reported T-score −1.0 does not fit BMD 0.558 g/cm² (expected about −2.5 on the "
        "NHANES III reference): check for a typing error or another reference database."
    )


@pytest.mark.parametrize(
    ("reported", "warns"),
    [
        pytest.param(-2.5, False, id="exact"),
        pytest.param(-2.2, False, id="0.3_above_is_tolerated"),
        pytest.param(-2.8, False, id="0.3_below_is_tolerated"),
        pytest.param(-2.1, True, id="0.4_above_warns"),
        pytest.param(-2.9, True, id="0.4_below_warns"),
        pytest.param(-2.84, False, id="rounds_to_0.3"),
    ],
)
def test_it_tolerates_a_difference_of_0_3_exactly(reported, warns):
    assert (t_score_consistency_warning(NECK, 0.558, reported) is not None) is warns


def test_the_total_hip_warning_says_to_use_the_reference_with_care():
    warning = t_score_consistency_warning(HIP, 0.637, -1.0)
    assert "expected about −2.5" in warning
    assert "to be used with care" in warning


@pytest.mark.parametrize(
    ("site", "manufacturer"), [(SPINE, HOLOGIC), (RADIUS, HOLOGIC), (NECK, LUNAR), (HIP, NORLAND)]
)
def test_it_does_not_check_without_a_reference(site, manufacturer):
    assert t_score_consistency_warning(site, 0.558, 1.0, manufacturer=manufacturer) is None


# --- vertebral fractures (docs/clinical-rules.md §7) ----------------------------------------------


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (0, 0),
        (19.9, 0),
        (20, 1),
        (25, 1),  # boundary belongs to the lower grade
        (25.1, 2),
        (40, 2),  # boundary belongs to the lower grade
        (40.1, 3),
        (100, 3),
    ],
)
def test_it_grades_vertebral_height_loss_by_genant(percent, grade):
    assert genant_grade(percent) == grade


@pytest.mark.parametrize("percent", [-1, 100.5, float("nan")])
def test_it_refuses_an_impossible_height_reduction(percent):
    with pytest.raises(ValueError):
        genant_grade(percent)


def test_genant_labels_name_each_grade():
    assert GENANT_LABELS == {
        0: "Grade 0 (normal)",
        1: "Grade 1 (mild)",
        2: "Grade 2 (moderate)",
        3: "Grade 3 (severe)",
    }


NO_VFA_TRIGGER = {
    "historical_height_loss_cm": None,
    "prospective_height_loss_cm": None,
    "self_reported_vertebral_fracture": False,
    "glucocorticoids": False,
}


@pytest.mark.parametrize(
    ("t", "sex", "age", "triggers", "indicated"),
    [
        pytest.param(-1.1, FEMALE, 70, {}, True, id="woman_70"),
        pytest.param(-1.1, FEMALE, 69, {}, False, id="woman_69"),
        pytest.param(-1.5, MALE, 80, {}, True, id="man_80"),
        pytest.param(-1.5, MALE, 79, {}, False, id="man_79"),
        pytest.param(-1.0, FEMALE, 75, {}, False, id="t_minus_1_0_is_not_below"),
        pytest.param(-1.04, FEMALE, 75, {}, False, id="t_rounding_to_minus_1_0"),
        pytest.param(None, FEMALE, 75, {}, False, id="no_t_score"),
        pytest.param(-1.5, FEMALE, 60, {"historical_height_loss_cm": 4.0}, False, id="loss_4_0"),
        pytest.param(-1.5, FEMALE, 60, {"historical_height_loss_cm": 4.1}, True, id="loss_4_1"),
        pytest.param(
            -1.5, FEMALE, 60, {"self_reported_vertebral_fracture": True}, True, id="self_report"
        ),
        pytest.param(-1.5, MALE, 55, {"glucocorticoids": True}, True, id="glucocorticoids"),
        pytest.param(-0.5, MALE, 85, {"glucocorticoids": True}, False, id="normal_t_with_triggers"),
        pytest.param(
            -1.5, FEMALE, 60, {"prospective_height_loss_cm": 3.0}, False, id="prospective_only"
        ),
    ],
)
def test_it_indicates_vfa_with_t_below_minus_1_and_a_trigger(t, sex, age, triggers, indicated):
    result = vfa_indication(lowest_t=t, sex=sex, age=age, **{**NO_VFA_TRIGGER, **triggers})
    assert result.indicated is indicated
    assert bool(result.reasons) is indicated


def test_it_gives_the_vfa_reasons():
    result = vfa_indication(
        lowest_t=-1.8,
        sex=FEMALE,
        age=72,
        historical_height_loss_cm=5.0,
        prospective_height_loss_cm=None,
        self_reported_vertebral_fracture=False,
        glucocorticoids=False,
    )
    assert result.reasons == (
        "T-score −1.8 is below −1.0.",
        "Woman aged 72 (70 or over).",
        "Historical height loss of 5.0 cm (over 4 cm).",
    )


@pytest.mark.parametrize(("loss", "prompted"), [(2.0, False), (2.1, True), (None, False)])
def test_prospective_height_loss_over_2_cm_is_a_prompt_not_a_rule(loss, prompted):
    result = vfa_indication(
        lowest_t=-1.5, sex=FEMALE, age=60, **{**NO_VFA_TRIGGER, "prospective_height_loss_cm": loss}
    )
    assert result.indicated is False
    assert bool(result.prompts) is prompted
    if prompted:
        assert result.prompts[0].startswith("Prospective height loss of 2.1 cm (over 2 cm)")


@pytest.mark.parametrize(("t", "prompted"), [(-1.5, True), (-1.0, False)])
def test_glucocorticoids_without_a_dose_prompt_for_the_dose_not_an_indication(t, prompted):
    result = vfa_indication(
        lowest_t=t, sex=FEMALE, age=60, **NO_VFA_TRIGGER, glucocorticoid_dose_unknown=True
    )
    assert result.indicated is False
    assert bool(result.prompts) is prompted
    if prompted:
        assert result.prompts[0].startswith("Long-term glucocorticoids with no dose recorded")


# --- treatment thresholds (docs/clinical-rules.md §8) ---------------------------------------------


@pytest.mark.parametrize(
    ("fracture", "t_scores", "frax_major", "frax_hip", "consider"),
    [
        pytest.param(True, {SPINE: 0.2}, None, None, True, id="hip_or_vertebral_fracture"),
        pytest.param(False, {NECK: -2.5}, None, None, True, id="neck_minus_2_5"),
        pytest.param(False, {HIP: -2.5}, None, None, True, id="total_hip_minus_2_5"),
        pytest.param(False, {SPINE: -2.45}, None, None, True, id="spine_rounding_to_minus_2_5"),
        pytest.param(False, {NECK: -2.4}, None, None, False, id="low_bone_mass_without_frax"),
        pytest.param(False, {HIP: -2.0}, None, 3.0, True, id="frax_hip_3"),
        pytest.param(False, {HIP: -2.0}, 19.9, 2.9, False, id="frax_under_both_thresholds"),
        pytest.param(False, {SPINE: -1.1}, 20.0, None, True, id="frax_major_20"),
        pytest.param(False, {NECK: -1.0}, 30.0, 5.0, False, id="frax_with_normal_bmd"),
        pytest.param(False, {RADIUS: -3.0}, None, None, False, id="radius_is_not_a_threshold"),
        pytest.param(False, {}, None, None, False, id="nothing_recorded"),
    ],
)
def test_it_considers_treatment_at_the_nof_thresholds(
    fracture, t_scores, frax_major, frax_hip, consider
):
    result = treatment_consideration(
        hip_or_vertebral_fracture=fracture,
        measurements=[m(site, t) for site, t in t_scores.items()],
        frax_major=frax_major,
        frax_hip=frax_hip,
    )
    assert result.consider is consider
    assert bool(result.reasons) is consider


def test_it_gives_treatment_reasons_as_sentences():
    result = treatment_consideration(
        hip_or_vertebral_fracture=True,
        measurements=[m(SPINE, -2.6), m(NECK, -1.8, side="left")],
        frax_major=12.0,
        frax_hip=3.4,
    )
    assert result.reasons == (
        "A hip or vertebral fracture.",
        "T-score −2.6 at the lumbar spine L1–L4 (−2.5 or below).",
        "Low bone mass with a FRAX 10-year hip fracture probability of 3.4% (3% or more).",
    )


def test_it_notes_frax_not_recorded_with_low_bone_mass():
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[m(NECK, -1.8)],
        frax_major=None,
        frax_hip=None,
    )
    assert result.consider is False
    assert result.notes[0].startswith("FRAX not recorded")


def test_it_does_not_ask_for_frax_with_normal_bmd():
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[m(NECK, -0.8)],
        frax_major=None,
        frax_hip=None,
    )
    assert result.notes == ()


def test_it_refuses_an_impossible_frax_probability():
    with pytest.raises(ValueError, match="FRAX hip"):
        treatment_consideration(
            hip_or_vertebral_fracture=False, measurements=(), frax_major=None, frax_hip=130.0
        )


def test_treatment_uses_the_lowest_t_score_of_each_site_where_it_was_measured():
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[
            m(HIP, -2.2, side="left"),
            m(HIP, -2.7, side="right"),
            m(SPINE, -2.9, vertebrae="L1-L3"),
        ],
        frax_major=None,
        frax_hip=None,
    )
    assert result.reasons == (
        "T-score −2.9 at the lumbar spine L1–L3 (−2.5 or below).",
        "T-score −2.7 at the right total hip (−2.5 or below).",
    )


def test_treatment_never_rests_on_a_single_vertebra():
    # docs/clinical-rules.md §2: a single vertebra is never used, for the diagnosis or the
    # thresholds.
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[m(SPINE, -3.0, vertebrae="L2"), m(HIP, -1.5, side="left")],
        frax_major=None,
        frax_hip=None,
    )
    assert result.consider is False
    assert result.notes[0].startswith("FRAX not recorded")


def test_an_undocumented_vertebral_fracture_is_noted_not_a_treatment_reason():
    result = treatment_consideration(
        hip_or_vertebral_fracture=False,
        measurements=[m(NECK, -0.5)],
        frax_major=None,
        frax_hip=None,
        unconfirmed_vertebral_fracture=True,
    )
    assert result.consider is False
    assert result.notes == (
        "A vertebral fracture is self-reported, needs confirmation: once VFA or spine imaging "
        "confirms it, treatment is to be considered.",
    )


# --- next scan (docs/clinical-rules.md §8) --------------------------------------------------------


@pytest.mark.parametrize(
    ("last", "treated", "steroids", "intervals", "due"),
    [
        pytest.param("2025-03-15", False, False, None, "2027-03-15", id="untreated_24_months"),
        pytest.param("2025-03-15", True, False, None, "2027-03-15", id="treated_24_months"),
        pytest.param("2025-03-15", False, True, None, "2026-03-15", id="glucocorticoids_12"),
        pytest.param("2025-03-15", True, True, None, "2026-03-15", id="glucocorticoids_win"),
        pytest.param("2024-02-29", False, True, None, "2025-02-28", id="29_feb_to_28_feb"),
        pytest.param("2024-02-29", False, False, None, "2026-02-28", id="29_feb_two_years"),
        pytest.param(
            "2025-03-15",
            True,
            False,
            ScanIntervals(on_treatment_months=12),
            "2026-03-15",
            id="setting_one_year_on_therapy",
        ),
        pytest.param(
            "2025-08-31",
            False,
            False,
            ScanIntervals(untreated_months=6),
            "2026-02-28",
            id="31_aug_plus_6_months",
        ),
        pytest.param(
            "2025-03-15",
            True,
            True,
            ScanIntervals(glucocorticoid_months=6),
            "2025-09-15",
            id="setting_six_months_on_glucocorticoids",
        ),
    ],
)
def test_it_schedules_the_next_scan_from_the_interval_setting(
    last, treated, steroids, intervals, due
):
    kwargs = {} if intervals is None else {"intervals": intervals}
    assert next_scan_due(
        day(last), on_treatment=treated, glucocorticoids=steroids, **kwargs
    ) == day(due)


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        ("2025-03-15", 6, "2025-09-15"),
        ("2025-11-30", 3, "2026-02-28"),
        ("2024-11-30", 3, "2025-02-28"),
        ("2023-11-30", 3, "2024-02-29"),
        ("2025-01-31", 6, "2025-07-31"),
        ("2025-01-31", 3, "2025-04-30"),
        ("2025-12-31", 1, "2026-01-31"),
    ],
)
def test_adding_months_keeps_the_day_or_clamps_to_the_month_end(start, months, end):
    assert add_months(day(start), months) == day(end)
