"""Charts are drawn for the space they are shown in: a phone's chart keeps its text at 12 px or
more, a large one opens full screen, and a treatment's label is never cut off at the edge."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse
from matplotlib.font_manager import FontProperties

from scans.charts import (
    LARGE,
    NARROW,
    WIDE,
    Band,
    Event,
    Point,
    Series,
    Span,
    _text_size,
    bmd_chart,
)
from scans.charts import t_score_chart as t_chart
from tests.osteoclinic.test_patient_record import scan

D = datetime.date
SVG = "{http://www.w3.org/2000/svg}"
# A browser shows an SVG point as 4/3 CSS pixels.
PX_PER_PT = 4 / 3


def series():
    points = (
        Point(D(2019, 6, 14), 0.842),
        Point(D(2022, 6, 18), 0.81),
        Point(D(2026, 6, 1), 0.772),
    )
    return (Series("Lower spine", points),)


def drawn(layout, **extra) -> str:
    bands = (Band("Lower spine", 0.842, 0.023),)
    return bmd_chart(series(), bands=bands, layout=layout, **extra).decode()


def width_pt(svg: str) -> float:
    return float(re.search(r'width="([\d.]+)pt"', svg).group(1))


def font_sizes(svg: str) -> list[float]:
    return [float(size) for size in re.findall(r"font-size: ([\d.]+)px", svg)]


@pytest.mark.parametrize("layout", [NARROW, WIDE, LARGE])
def test_each_layout_is_drawn_at_its_size(layout):
    svg = drawn(layout)
    assert width_pt(svg) * PX_PER_PT == pytest.approx(layout.width_px, abs=1)


def test_the_phone_chart_fits_a_390_px_screen_with_text_of_12_px_or_more():
    svg = drawn(NARROW, fractures=(Event(D(2024, 2, 1), "L1 fracture"),))
    # Shown at its own width (no wider than a card on a 390 px screen), never shrunk.
    assert NARROW.width_px <= 332
    assert min(font_sizes(svg)) * PX_PER_PT >= 12
    # The wide chart shrunk to that width would have had text of about 5 px.
    wide = drawn(WIDE)
    assert min(font_sizes(wide)) * PX_PER_PT * NARROW.width_px / WIDE.width_px < 7


@pytest.mark.parametrize("layout", [NARROW, WIDE, LARGE])
@pytest.mark.parametrize("started", [D(2026, 1, 1), D(2022, 6, 1), D(2021, 1, 1)])
def test_a_treatment_label_is_never_cut_off_at_the_right_edge(layout, started):
    svg = t_chart(
        series(), treatments=(Span(started, None, "Alendronate 70 mg weekly"),), layout=layout
    ).decode()
    root = ET.fromstring(svg)
    label = next(t for t in root.iter(f"{SVG}text") if "Alendronate" in (t.text or ""))
    x, size = (
        float(label.get("x")),
        float(re.search(r"font-size: ([\d.]+)px", label.get("style")).group(1)),
    )
    lines = [line.text or "" for line in label.iter(f"{SVG}tspan")] or [label.text]
    widest = max(_text_size(line, FontProperties(size=size), False)[0] for line in lines)
    if "text-anchor: end" in label.get("style", ""):
        assert x - widest >= 0 and x <= width_pt(svg)
    else:
        assert x + widest <= width_pt(svg)


def test_an_early_treatment_is_labelled_from_its_start():
    svg = t_chart(series(), treatments=(Span(D(2019, 7, 1), None, "Denosumab"),)).decode()
    root = ET.fromstring(svg)
    label = next(t for t in root.iter(f"{SVG}text") if "Denosumab" in (t.text or ""))
    assert "text-anchor: end" not in label.get("style", "")


@pytest.fixture
def paula_released(paula, hologic):
    scan(paula, hologic, D(2022, 6, 14), ("lumbar_spine", "", "0.842", "-2.0"))
    scan(paula, hologic, D(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    return paula


@pytest.mark.parametrize("size", ["narrow", "large"])
def test_each_size_is_served_cached_under_its_own_key(client, paula_released, size):
    client.force_login(paula_released.user)
    url = reverse("portal:chart", args=["bmd"])
    wide = client.get(url)
    sized = client.get(url, {"size": size})
    assert sized.status_code == 200 and sized["Content-Type"] == "image/svg+xml"
    assert sized["ETag"] != wide["ETag"]
    layout = {"narrow": NARROW, "large": LARGE}[size]
    assert width_pt(sized.content.decode()) * PX_PER_PT == pytest.approx(layout.width_px, abs=1)
    # A repeat view is answered from the cache: the browser's copy is still good.
    again = client.get(url, {"size": size}, headers={"if-none-match": sized["ETag"]})
    assert again.status_code == 304


def test_an_unknown_size_is_not_found(client, paula_released):
    client.force_login(paula_released.user)
    assert client.get(reverse("portal:chart", args=["bmd"]), {"size": "huge"}).status_code == 404


def test_the_portal_sends_a_phone_the_narrow_chart_with_a_summary_and_a_large_link(
    client, paula_released
):
    client.force_login(paula_released.user)
    page = client.get(reverse("portal:home")).content.decode()
    url = reverse("portal:chart", args=["bmd"])
    assert f'<source media="(max-width: 575.98px)" srcset="{url}?size=narrow"' in page
    assert f'href="{url}?size=large"' in page
    summary = (
        "Lower spine (lumbar spine L1–L4): from 0.842 on 14 June 2022 to 0.772 g/cm² on "
        "18 June 2024 (−8.3%)."
    )
    assert f'alt="Bone density (BMD) over time. {summary}"' in page
    assert "<figcaption" in page
    # Units explained once, in plain words.
    assert page.count("grams per square centimetre") == 1
    assert "the scanner's normal variation (LSC" in page.lower() or "(LSC, the" in page
