"""The IOF KPIs (docs/clinical-rules.md §15) on small clinics computed by hand."""

import datetime

import pytest

from liaison import kpis
from liaison.kpis import AMBER, GREEN, RED, Facts, kpi_results

FRACTURE = datetime.date(2025, 1, 1)
LONG_AFTER = datetime.date(2026, 6, 30)  # every time point, even 52 weeks, has passed


def day(n: int) -> datetime.date:
    return FRACTURE + datetime.timedelta(days=n)


def results(episodes, *, today=LONG_AFTER, window=kpis.TWELVE_WEEKS) -> dict[int, kpis.Result]:
    return {r.number: r for r in kpi_results(episodes, today=today, window=window)}


def counts(result: kpis.Result) -> tuple[int, int, int]:
    return result.numerator, result.denominator, result.recorded


# A clinic of four, worked out by hand:
# E1 non-spinal, everything done in time (DXA on day 84, exercise on day 112).
# E2 spine, assessment and DXA on day 85 (a day late), everything else recorded as not done.
# E3 non-spinal, nothing recorded at all.
# E4 non-spinal, assessed on the fracture day, DXA recommended but not done, exercise and
#    medication started on day 113 (a day late), contacted on day 112, 52-week answer missing.
E1 = Facts(
    FRACTURE,
    spine=False,
    assessed_on=day(10),
    assessment_recorded=True,
    dxa_on=day(84),
    dxa_recorded=True,
    falls_assessed=True,
    medication_recommended=True,
    exercise_started_on=day(112),
    exercise_recorded=True,
    contacted_16_on=day(100),
    contact_16_recorded=True,
    medication_started_on=day(50),
    medication_start_recorded=True,
    on_medication_52=True,
)
E2 = Facts(
    FRACTURE,
    spine=True,
    assessed_on=day(85),
    assessment_recorded=True,
    dxa_on=day(85),
    dxa_recorded=True,
    falls_assessed=False,
    medication_recommended=False,
    exercise_recorded=True,
    contact_16_recorded=True,
    medication_start_recorded=True,
    on_medication_52=False,
)
E3 = Facts(FRACTURE, spine=False)
E4 = Facts(
    FRACTURE,
    spine=False,
    assessed_on=day(0),
    assessment_recorded=True,
    dxa_recorded=True,
    falls_assessed=True,
    medication_recommended=True,
    exercise_started_on=day(113),
    exercise_recorded=True,
    contacted_16_on=day(112),
    contact_16_recorded=True,
    medication_started_on=day(113),
    medication_start_recorded=True,
)
CLINIC = [E1, E2, E3, E4]


def test_each_kpi_of_a_small_clinic_matches_the_hand_count():
    got = results(CLINIC)
    expected = {
        1: (3, 4, 4),  # E1, E3, E4 non-spinal
        2: (1, 4, 4),  # E2
        3: (2, 4, 3),  # E1 day 10, E4 day 0; E2 day 85 is late; E3 not recorded
        4: (1, 4, 3),  # E1 day 84; E2 day 85 late; E4 not done; E3 not recorded
        5: (2, 4, 3),  # E1, E4; E2 not done; E3 not recorded
        6: (2, 4, 3),  # E1, E4; E2 not recommended; E3 not recorded
        7: (1, 4, 3),  # E1 day 112; E4 day 113 late
        8: (2, 4, 3),  # E1 day 100, E4 day 112; E2 not reached
        9: (1, 4, 3),  # E1 day 50; E4 day 113 late
        10: (1, 4, 2),  # E1; E2 off medication; E3 and E4 not recorded
        # KPI 11: recorded steps of KPIs 3–10 over all the steps due: 23 of 8 × 4.
        11: (23, 32, 23),
    }
    assert {number: counts(result) for number, result in got.items()} == expected


def test_the_levels_of_the_small_clinic():
    got = results(CLINIC)
    assert got[3].percentage == 50.0 and got[3].level == AMBER  # 50% itself is amber
    assert got[4].percentage == 25.0 and got[4].level == RED
    assert got[11].percentage == pytest.approx(71.875) and got[11].level == AMBER
    # The share of spine and non-spine fractures is case mix: no IOF level.
    assert got[1].level is None and got[2].level is None


@pytest.mark.parametrize(
    ("numerator", "denominator", "level"),
    [(49, 100, RED), (1, 2, AMBER), (4, 5, AMBER), (81, 100, GREEN), (5, 6, GREEN), (0, 0, None)],
)
def test_iof_levels_below_50_red_up_to_80_amber_above_green(numerator, denominator, level):
    assert kpis.level(numerator, denominator) == level


@pytest.mark.parametrize(
    ("window", "inside", "outside"),
    [(kpis.TWELVE_WEEKS, 84, 85), (kpis.NINETY_DAYS, 90, 91)],
)
def test_assessment_and_dxa_window_boundary_on_both_sides(window, inside, outside):
    on_time = Facts(
        FRACTURE,
        spine=False,
        assessed_on=day(inside),
        assessment_recorded=True,
        dxa_on=day(inside),
        dxa_recorded=True,
    )
    late = Facts(
        FRACTURE,
        spine=False,
        assessed_on=day(outside),
        assessment_recorded=True,
        dxa_on=day(outside),
        dxa_recorded=True,
    )
    got = results([on_time, late], window=window)
    assert counts(got[3]) == (1, 2, 2)
    assert counts(got[4]) == (1, 2, 2)
    assert results([late], window=window)[3].numerator == 0
    assert results([on_time], window=window)[3].numerator == 1


def test_sixteen_week_boundary_is_day_112():
    on_time = Facts(FRACTURE, spine=False, contacted_16_on=day(112), contact_16_recorded=True)
    late = Facts(FRACTURE, spine=False, contacted_16_on=day(113), contact_16_recorded=True)
    assert counts(results([on_time, late])[8]) == (1, 2, 2)


def test_missing_data_counts_in_completeness_not_only_as_unmet():
    nothing = Facts(FRACTURE, spine=True)
    got = results([nothing])
    assert all(got[n].numerator == 0 and got[n].recorded == 0 for n in range(3, 11))
    assert counts(got[11]) == (0, 8, 0)
    # Recorded as not done: still unmet, but complete.
    not_done = Facts(
        FRACTURE,
        spine=True,
        assessment_recorded=True,
        dxa_recorded=True,
        falls_assessed=False,
        medication_recommended=False,
        exercise_recorded=True,
        contact_16_recorded=True,
        medication_start_recorded=True,
        on_medication_52=False,
    )
    got = results([not_done])
    assert all(got[n].numerator == 0 for n in range(3, 11))
    assert counts(got[11]) == (8, 8, 8) and got[11].level == GREEN


def test_an_episode_is_judged_only_once_its_time_point_has_passed():
    recent = Facts(FRACTURE, spine=False)
    # On day 84 the 12-week window is still open; on day 85 it has closed.
    on_day_84 = results([recent], today=day(84))
    assert on_day_84[3].denominator == 0 and on_day_84[3].not_yet_due == 1
    assert on_day_84[1].denominator == 1  # the fracture site counts from the first day
    on_day_85 = results([recent], today=day(85))
    assert on_day_85[3].denominator == 1 and on_day_85[7].denominator == 0
    assert results([recent], today=day(113))[8].denominator == 1
    assert results([recent], today=day(364))[10].denominator == 0
    assert results([recent], today=day(365))[10].denominator == 1


def test_a_period_with_no_episode_has_no_percentage_and_no_level():
    got = results([])
    assert all(
        r.denominator == 0 and r.percentage is None and r.level is None for r in got.values()
    )


def test_by_month_groups_by_month_of_the_index_fracture():
    january = Facts(datetime.date(2025, 1, 31), spine=True)
    february = Facts(datetime.date(2025, 2, 1), spine=False)
    months = kpis.months_between(datetime.date(2025, 1, 15), datetime.date(2025, 3, 2))
    assert months == [
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 1),
        datetime.date(2025, 3, 1),
    ]
    # Lists in KPI order: [0] is KPI 1 (non-spinal), [1] KPI 2 (spine).
    got = kpis.by_month([january, february], months, today=LONG_AFTER, window=84)
    assert [(r[0].numerator, r[0].denominator) for r in got.values()] == [(0, 1), (1, 1), (0, 0)]
    assert [(r[1].numerator, r[1].denominator) for r in got.values()] == [(1, 1), (0, 1), (0, 0)]


def test_months_between_crosses_the_year():
    months = kpis.months_between(datetime.date(2025, 11, 30), datetime.date(2026, 2, 1))
    assert [f"{m:%Y-%m}" for m in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]
