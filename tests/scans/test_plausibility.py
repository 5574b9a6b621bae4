"""The plausibility rules on plain values, at their thresholds (docs/clinical-rules.md §13)."""

import datetime
from decimal import Decimal as D

import pytest

from scans import plausibility as p


@pytest.mark.parametrize(
    ("site", "bmd", "t_score", "flagged"),
    [
        # Femoral neck: 0.858 g/cm² is T 0.0 on NHANES III; 0.3 away is inside, 0.4 beyond.
        ("femoral_neck", "0.858", "0.3", False),
        ("femoral_neck", "0.858", "-0.3", False),
        ("femoral_neck", "0.858", "0.4", True),
        # Unrounded: 0.611 gives −2.058…; −2.3 is 0.24 away (inside), −2.4 0.34 (beyond).
        ("femoral_neck", "0.611", "-2.3", False),
        ("femoral_neck", "0.611", "-2.4", True),
        # The issue's total hip: 0.400 with T −1.0 (the reference gives −4.44).
        ("total_hip", "0.400", "-1.0", True),
        ("total_hip", "0.942", "0.3", False),
        ("total_hip", "0.942", "-0.4", True),
        # No spine or radius reference: the learned line checks those.
        ("lumbar_spine", "0.400", "2.0", False),
    ],
)
def test_the_nhanes_check_flags_a_hip_t_score_beyond_0_3(site, bmd, t_score, flagged):
    warning = p.nhanes_warning(site, D(bmd), D(t_score), "hologic")
    assert (warning is not None) is flagged
    if flagged:
        assert "NHANES III" in warning and "does not fit BMD" in warning


def test_the_nhanes_check_reads_unrounded_numbers():
    # 0.822 gives −0.30 exactly; 0.821 gives −0.308…: rounded both would be −0.3, one is beyond.
    assert p.nhanes_warning("femoral_neck", D("0.822"), D("0.0"), "hologic") is None
    assert p.nhanes_warning("femoral_neck", D("0.821"), D("0.0"), "hologic") is not None


def test_the_nhanes_check_applies_to_the_hologic_scale_only():
    assert p.nhanes_warning("total_hip", D("0.400"), D("-1.0"), "ge_lunar") is None


# A scanner whose results lie on T = (BMD − 1.000) / 0.100.
ON_THE_LINE = [(D("0.900"), D("-1.0")), (D("0.850"), D("-1.5")), (D("0.800"), D("-2.0"))]
ON_THE_LINE += [(D("0.950"), D("-0.5")), (D("1.000"), D("0.0"))]


def test_a_line_is_learned_with_its_mean_sd_count_and_fit():
    line = p.fit_line(ON_THE_LINE)
    assert line.n == 5 and line.usable
    assert line.mean == pytest.approx(1.000) and line.sd == pytest.approx(0.100)
    assert line.residual_sd == pytest.approx(0, abs=1e-6) and line.r_squared == pytest.approx(1)


@pytest.mark.parametrize(
    ("t_score", "flagged"), [("-1.0", False), ("-1.6", False), ("-0.9", True), ("-1.7", True)]
)
def test_a_result_more_than_0_3_off_the_line_is_flagged(t_score, flagged):
    # BMD 0.870 lies at T −1.3 on the line: −1.0 and −1.6 are 0.3 away, −0.9 and −1.7 0.4.
    warning = p.line_warning(p.fit_line(ON_THE_LINE), D("0.870"), D(t_score))
    assert (warning is not None) is flagged
    if flagged:
        assert "its 5 released results give −1.30" in warning


def test_a_line_is_not_used_before_five_results():
    line = p.fit_line(ON_THE_LINE[:4])
    assert not line.usable and "4 of the 5 released results needed" in line.why_unused
    assert p.line_warning(line, D("0.870"), D("2.0")) is None


def test_a_line_through_results_that_do_not_fit_it_is_not_used():
    scattered = [*ON_THE_LINE, (D("0.900"), D("-2.0")), (D("0.850"), D("-0.5"))]
    line = p.fit_line(scattered)
    assert not line.usable and "from the line" in line.why_unused


def test_a_line_through_one_bmd_cluster_is_not_used():
    cluster = [(D("0.900"), D("-1.0")), (D("0.910"), D("-0.9"))] * 3
    line = p.fit_line(cluster)
    assert not line.usable and "BMD spread" in line.why_unused


def _rate(bmd, *, days=151, previous="1.000", rate="10"):
    return p.rate_warning(
        previous_date=datetime.date(2023, 1, 1),
        previous_bmd=D(previous),
        date=datetime.date(2023, 1, 1) + datetime.timedelta(days=days),
        bmd=D(bmd),
        max_percent_per_year=D(rate),
    )


def test_a_change_within_a_year_is_held_to_one_years_rate():
    assert _rate("0.900") is None  # −10.0%: inside
    assert "−10.1%" in _rate("0.899")  # beyond
    assert _rate("1.100") is None and _rate("1.101") is not None


def test_a_change_over_years_is_judged_per_year():
    # 1,461 days is four years (365.25 a year): up to 40% inside.
    assert _rate("0.600", days=1461) is None
    assert _rate("0.599", days=1461) is not None


def test_the_issue_hip_loss_of_47_8_percent_in_21_months_is_flagged():
    warning = _rate("0.522", days=639)
    assert "−47.8%" in warning and "a year" in warning


def test_the_rate_is_a_setting():
    assert _rate("0.880", rate="10") is not None
    assert _rate("0.880", rate="15") is None


def test_a_vertebra_more_than_1_0_from_its_neighbours_is_named_with_what_remains():
    note = p.vertebra_exclusion({1: D("-1.2"), 2: D("-1.3"), 3: D("-2.5"), 4: D("-1.1")})
    assert note.startswith("L3 differs from a neighbour by more than 1.0 T-score")
    assert "re-analyse L1–L2, L4 on the scanner" in note
    assert "does not recompute" in note


def test_a_difference_of_exactly_1_0_is_not_named():
    assert p.vertebra_exclusion({1: D("-1.2"), 2: D("-2.2"), 3: D("-1.2"), 4: D("-1.2")}) is None


def test_an_end_vertebra_is_named_when_only_it_differs():
    note = p.vertebra_exclusion({1: D("0.0"), 2: D("-1.1"), 3: D("-1.2"), 4: D("-1.0")})
    assert note.startswith("L1 differs") and "re-analyse L2–L4" in note


def test_the_vertebrae_run_is_written_as_ranges():
    assert p.vertebrae_run([1, 2, 4]) == "L1–L2, L4"
    assert p.vertebrae_run([2, 3, 4]) == "L2–L4"
