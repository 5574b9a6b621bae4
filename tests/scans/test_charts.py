import datetime
import xml.etree.ElementTree as ET

import pytest

from scans.charts import (
    CHART_VERSION,
    NO_DATA,
    OTHER_SCANNER,
    SIGNIFICANT,
    WHO_BANDS,
    Band,
    Event,
    Point,
    Series,
    Span,
    bmd_chart,
    chart_key,
    has_trend,
    pain_chart,
    t_score_chart,
    z_score_chart,
)

SVG = "{http://www.w3.org/2000/svg}"
D = datetime.date
SPINE = "Lumbar spine L1–L4"
HIP = "Total hip (left)"


def spine_t_scores():
    return Series(
        SPINE,
        (
            Point(D(2019, 3, 1), -2.1),
            Point(D(2021, 3, 2), -2.4),
            Point(D(2023, 3, 6), -2.7, significant=True),
        ),
    )


def hip_t_scores():
    return Series(HIP, (Point(D(2019, 3, 1), -1.4), Point(D(2023, 3, 6), -1.6, other_scanner=True)))


def spine_bmd():
    return Series(
        SPINE,
        (
            Point(D(2019, 3, 1), 0.912),
            Point(D(2021, 3, 2), 0.890),
            Point(D(2023, 3, 6), 0.851, significant=True),
        ),
    )


def parse(svg: bytes) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(svg: bytes) -> str:
    """Every piece of text the SVG shows, joined: what a screen reader or a search would find."""
    return "\n".join("".join(element.itertext()) for element in parse(svg).iter(f"{SVG}text"))


def test_t_score_chart_is_svg_with_an_accessible_title():
    svg = t_score_chart([spine_t_scores()], title="T-score over time")

    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "T-score over time"
    assert root[0].tag == f"{SVG}title"
    assert root[0].text == "T-score over time"


def test_t_score_chart_shows_each_series_and_every_who_band():
    shown = texts(t_score_chart([spine_t_scores(), hip_t_scores()]))

    assert SPINE in shown
    assert HIP in shown
    assert "Normal (≥ \u22121.0)" in shown
    assert "Low bone mass (\u22121.0 to \u22122.5)" in shown
    assert "Osteoporosis (≤ \u22122.5)" in shown
    assert {band[2] for band in WHO_BANDS} <= set(shown.splitlines())


def test_it_uses_real_minus_signs_on_the_axis():
    shown = texts(t_score_chart([spine_t_scores()]))

    assert "\u22122" in shown
    assert "-2" not in shown


def test_it_labels_fractures_and_treatments():
    svg = t_score_chart(
        [spine_t_scores()],
        fractures=[Event(D(2022, 5, 1), "L1 fracture")],
        treatments=[
            Span(D(2021, 4, 1), D(2022, 4, 1), "Alendronate"),
            Span(D(2022, 6, 1), None, "Denosumab"),
        ],
    )

    shown = texts(svg)
    assert "L1 fracture" in shown
    assert "Alendronate" in shown
    assert "Denosumab" in shown


def test_it_explains_hollow_markers_and_rings_only_when_the_chart_has_them():
    with_both = texts(t_score_chart([spine_t_scores(), hip_t_scores()]))
    plain = texts(t_score_chart([Series(SPINE, (Point(D(2020, 1, 1), -1.2),))]))

    assert OTHER_SCANNER in with_both
    assert SIGNIFICANT in with_both
    assert OTHER_SCANNER not in plain
    assert SIGNIFICANT not in plain


def test_z_score_chart_shows_the_expected_range_for_age_and_no_who_band():
    # docs/clinical-rules.md §2: Z ≤ −2.0 is below the expected range for age; no WHO category
    # applies.
    zs = Series(SPINE, (Point(D(2021, 1, 1), -1.6), Point(D(2024, 1, 1), -2.1)))
    svg = z_score_chart([zs])
    shown = texts(svg)
    assert "Z-score over time" in shown and "Z-score" in shown
    assert "Within the expected range for age (above −2.0)" in shown
    assert "Below the expected range for age (−2.0 or below)" in shown
    assert not any(label in shown for _, _, label, _ in WHO_BANDS)
    assert parse(svg).get("aria-label") == "Z-score over time"


def test_bmd_chart_shows_series_and_baseline_lsc_band():
    svg = bmd_chart(
        [spine_bmd()],
        bands=[Band(SPINE, baseline=0.912, lsc=0.048)],
        fractures=[Event(D(2022, 5, 1), "L1 fracture")],
        treatments=[Span(D(2021, 4, 1), None, "Alendronate")],
    )

    shown = texts(svg)
    assert "BMD (g/cm²)" in shown
    assert SPINE in shown
    assert f"Baseline ± LSC ({SPINE})" in shown
    assert SIGNIFICANT in shown
    assert "L1 fracture" in shown
    assert "Alendronate" in shown
    assert parse(svg).get("aria-label") == "Bone density (BMD) over time"


def test_pain_chart_draws_the_whole_scale():
    points = [Point(D(2024, 1, 1), 7), Point(D(2024, 2, 1), 4)]

    shown = texts(pain_chart(points))

    assert "Pain (0–10)" in shown
    assert {"0", "10"} <= set(shown.splitlines())


@pytest.mark.parametrize(
    "draw",
    [
        lambda: t_score_chart([spine_t_scores(), hip_t_scores()], title="Spine & hip <T>"),
        lambda: bmd_chart([spine_bmd()], bands=[Band(SPINE, 0.912, 0.048)]),
        lambda: pain_chart([Point(D(2024, 1, 1), 7), Point(D(2024, 2, 1), 4)]),
        lambda: t_score_chart([]),
    ],
)
def test_the_same_data_gives_the_same_bytes(draw):
    assert draw() == draw()


def test_titles_and_labels_are_escaped_and_never_read_as_mathtext():
    svg = t_score_chart([Series("Hip <left> & $5 $6", spine_t_scores().points)], title="A & <B>")

    root = parse(svg)
    assert root.get("aria-label") == "A & <B>"
    assert root[0].text == "A & <B>"
    assert "Hip <left> & $5 $6" in texts(svg)


@pytest.mark.parametrize(
    "draw",
    [
        lambda: t_score_chart([]),
        lambda: t_score_chart([Series(SPINE, ())], fractures=[Event(D(2020, 1, 1), "Hip")]),
        lambda: bmd_chart([], bands=[Band(SPINE, 0.9, 0.05)]),
        lambda: pain_chart([]),
    ],
)
def test_without_points_it_says_no_data_yet(draw):
    svg = draw()

    assert texts(svg) == NO_DATA
    assert parse(svg).get("role") == "img"


def test_a_single_scan_still_draws_its_point():
    svg = t_score_chart([Series(SPINE, (Point(D(2024, 5, 1), -2.6),))])

    shown = texts(svg)
    assert SPINE in shown
    assert NO_DATA not in shown


def test_the_y_axis_stretches_to_fit_values_beyond_the_usual_range():
    shown = texts(t_score_chart([Series(SPINE, (Point(D(2024, 5, 1), -6.2),))]))

    assert "\u22126" in shown.splitlines()


def test_has_trend_needs_two_points_in_one_series():
    one_each = [
        Series(SPINE, (Point(D(2020, 1, 1), -2.0),)),
        Series(HIP, (Point(D(2021, 1, 1), -1.0),)),
    ]

    assert not has_trend([])
    assert not has_trend([Series(SPINE, ())])
    assert not has_trend(one_each)
    assert has_trend([*one_each, spine_t_scores()])


def test_chart_key_is_stable_for_equal_data():
    first = chart_key("t-score", [spine_t_scores()], [Event(D(2022, 5, 1), "L1 fracture")])
    again = chart_key("t-score", [spine_t_scores()], [Event(D(2022, 5, 1), "L1 fracture")])

    assert first == again
    assert first.startswith(f"t-score-v{CHART_VERSION}-")
    assert len(first.rsplit("-", 1)[1]) == 64


def test_chart_key_treats_a_decimal_like_the_same_float():
    from decimal import Decimal

    as_decimal = Series(SPINE, (Point(D(2020, 1, 1), Decimal("0.912")),))
    as_float = Series(SPINE, (Point(D(2020, 1, 1), 0.912),))

    assert chart_key("bmd", [as_decimal]) == chart_key("bmd", [as_float])


@pytest.mark.parametrize(
    "changed",
    [
        Point(D(2023, 3, 7), -2.7, significant=True),
        Point(D(2023, 3, 6), -2.8, significant=True),
        Point(D(2023, 3, 6), -2.7, significant=False),
        Point(D(2023, 3, 6), -2.7, significant=True, other_scanner=True),
    ],
)
def test_chart_key_changes_when_any_point_changes(changed):
    series = spine_t_scores()
    edited = Series(SPINE, (*series.points[:-1], changed))

    assert chart_key("t-score", [series]) != chart_key("t-score", [edited])


def test_chart_key_changes_with_kind_labels_and_events():
    base = chart_key("t-score", [spine_t_scores()], [])

    assert chart_key("bmd", [spine_t_scores()], []) != base
    assert chart_key("t-score", [Series(HIP, spine_t_scores().points)], []) != base
    assert chart_key("t-score", [spine_t_scores()], [Event(D(2022, 1, 1), "Rib")]) != base
    assert chart_key("t-score", [spine_t_scores()], [Span(D(2022, 1, 1), None, "X")]) != base


def test_the_collector_is_paused_only_while_a_chart_is_drawn():
    import gc

    assert gc.isenabled()
    t_score_chart([spine_t_scores()])
    assert gc.isenabled()
    gc.disable()
    try:
        t_score_chart([spine_t_scores()])
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
