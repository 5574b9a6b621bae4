"""Charts of a patient's measurements over time, drawn as SVG.

Every function takes plain frozen dataclasses (never model instances) and returns SVG bytes, so
views can cache the result under chart_key() and tests need no database. Drawing uses
matplotlib's object API straight onto its SVG renderer: pyplot keeps global figure state that
leaks in a long-running server.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import functools
import gc
import hashlib
import io
import json
import pickle
import textwrap
import threading
from collections.abc import Callable, Sequence
from xml.sax.saxutils import escape, quoteattr

import matplotlib
from matplotlib import dates as mdates
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.textpath import TextToPath
from matplotlib.ticker import FixedLocator, MultipleLocator

# Part of every chart_key(): bump it whenever the drawing changes so cached SVGs are redrawn.
CHART_VERSION = 4

MINUS = "\u2212"  # a real minus sign: a hyphen in "-2.5" reads badly and screen readers skip it
NO_DATA = "No data yet"
OTHER_SCANNER = "Other scanner (approximate)"
SIGNIFICANT = "Significant change vs baseline"
# The legend of a patient's chart, in the words of the portal's explanations.
WORDS = {
    OTHER_SCANNER: "Another scanner (compare with care)",
    SIGNIFICANT: "Change bigger than the scanner's normal variation",
    "band": "Normal variation around the first scan ({})",
}

# WHO categories on the T-score (docs/clinical-rules.md §1): −1.0 itself is normal, −2.5 itself
# osteoporosis. (lower, upper, label, fill); None means the band runs to the edge of the plot.
WHO_BANDS = (
    (-1.0, None, f"Normal (≥ {MINUS}1.0)", "#e4f2e8"),
    (-2.5, -1.0, f"Low bone mass ({MINUS}1.0 to {MINUS}2.5)", "#fcf0d2"),
    (None, -2.5, f"Osteoporosis (≤ {MINUS}2.5)", "#f8dcd5"),
)
# Each label sits against a threshold, on the side of the band it names: away from the top,
# where fracture labels hang, and from the bottom, where treatment labels sit.
_WHO_LABEL_AT = ((-1.0, "bottom"), (-1.0, "top"), (-2.5, "top"))

# Z-scores of premenopausal women and men under 50 (docs/clinical-rules.md §2): −2.0 itself is below
# the expected range for age. No WHO category applies to them.
Z_BANDS = (
    (-2.0, None, f"Within the expected range for age (above {MINUS}2.0)", "#e8eef5"),
    (None, -2.0, f"Below the expected range for age ({MINUS}2.0 or below)", "#fcf0d2"),
)
_Z_LABEL_AT = ((-2.0, "bottom"), (-2.0, "top"))

# Okabe–Ito colours (safe for the common colour-vision deficiencies; its yellow is left out as
# it vanishes on white). Line style and marker change with the colour, so colour is never the
# only thing that tells two series apart (style.md).
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_LINESTYLES = ("-", "--", "-.", ":")
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


@dataclasses.dataclass(frozen=True)
class Layout:
    """How big a chart is drawn, for the space it is shown in.

    Sizes are in inches at 72 dpi, so one point of text is one SVG unit; a browser shows an
    SVG point as 1.33 CSS pixels, so 9 pt text is 12 px when the chart is shown at its size.
    `scale` multiplies every text size and margin of the wide chart.
    """

    name: str
    size: tuple[float, float]
    scale: float
    legend_columns: int
    wrap: int = 0  # legend labels wrapped at this many characters (0: never)
    title_wrap: int = 0  # the title too, at fewer characters as it is larger and bold
    max_ticks: int = 9  # date ticks at most, so that year labels never run into each other

    @property
    def width_px(self) -> int:
        return round(self.size[0] * 96)

    @property
    def height_px(self) -> int:
        return round(self.size[1] * 96)


# The record's and the portal's chart on a computer or tablet.
WIDE = Layout("wide", (7.5, 4.0), 1.0, 3)
# A phone: drawn 326 px wide, the width of a card on a 390 px screen, so it is shown at its
# size, never shrunk; its smallest text (8 pt in the wide chart) is 9 pt, 12 px.
NARROW = Layout("narrow", (3.4, 5.2), 1.125, 1, wrap=30, title_wrap=22, max_ticks=4)
# The large version a "full screen" link opens, to read or zoom into.
LARGE = Layout("large", (11.0, 6.2), 1.3, 3)
LAYOUTS = {layout.name: layout for layout in (WIDE, NARROW, LARGE)}
# Fixed margins, in points, instead of constrained layout: measuring every text artist to fit
# the layout took about half the drawing time. Room for the title above, the y labels to the
# left (wider for BMD's "0.850" than for a T-score's "−2"), the date labels and legend below.
_TOP, _RIGHT, _BOTTOM = 26.0, 14.0, 6.0
_LEFT_SCORE, _LEFT_BMD = 38.0, 52.0
_DATE_LABELS = 20.0  # tick, pad and one line of 9 pt labels
_DATE_OFFSET = 11.0  # ConciseDateFormatter's second line, e.g. "2024" under month ticks
_LABEL_EDGE = 14.0  # from the figure's left edge to the far side of the y axis label
_TICKS = 10  # ticks made ahead per axis: the locators give 8 to 10, those outside included
_RC = {
    "svg.fonttype": "none",  # text stays <text>: labels are searchable and read aloud
    "svg.hashsalt": "osteoclinic",  # fixed ids, so equal data gives byte-identical SVG
    "axes.unicode_minus": True,
    "font.size": 9,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelcolor": "#333333",
    "axes.edgecolor": "#888888",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": "line",  # grid above the shaded bands, below the data
    "grid.color": "#cccccc",
    "grid.linewidth": 0.6,
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
}


def _rc(layout: Layout) -> dict:
    scaled = ("font.size", "axes.titlesize", "legend.fontsize")
    return {**_RC, **{name: _RC[name] * layout.scale for name in scaled}}


def _scale() -> float:
    """The scale of the layout being drawn, read from the rcParams it is drawn under."""
    return matplotlib.rcParams["font.size"] / _RC["font.size"]


def _small() -> float:
    """Annotations (band, fracture and treatment labels): 8 pt in the wide chart."""
    return 8 * _scale()


# Layers, bottom to top: opaque WHO bands, translucent shading, grid (1.5), annotations, data.
_Z_WHO, _Z_SHADE, _Z_NOTE, _Z_DATA = 0.6, 0.8, 1.7, 3.0

# A ring around a point marks a change beyond the LSC; drawn over the data marker.
_RING = {
    "linestyle": "none",
    "marker": "o",
    "markersize": 13,
    "markerfacecolor": "none",
    "markeredgecolor": "#222222",
    "markeredgewidth": 1.2,
    "zorder": _Z_DATA + 0.2,
}

# rcParams are process-global: serialise rendering so one thread's rc_context cannot leak into
# another's figure under a threaded server.
_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class Point:
    date: datetime.date
    value: float  # T-score, BMD in g/cm² or pain 0–10
    other_scanner: bool = False  # measured on another device: comparable only approximately
    significant: bool = False  # change vs baseline at least the LSC (docs/clinical-rules.md §3–§4)

    def __post_init__(self):
        # The ORM hands out Decimals; floats keep drawing and chart_key() consistent.
        object.__setattr__(self, "value", float(self.value))


@dataclasses.dataclass(frozen=True)
class Series:
    label: str  # e.g. "Lumbar spine L1–L4", "Total hip (left)"
    points: tuple[Point, ...]


@dataclasses.dataclass(frozen=True)
class Band:
    """Baseline ± least significant change of one series, for the BMD chart."""

    series_label: str
    baseline: float
    lsc: float

    def __post_init__(self):
        object.__setattr__(self, "baseline", float(self.baseline))
        object.__setattr__(self, "lsc", float(self.lsc))


@dataclasses.dataclass(frozen=True)
class Event:
    """A fracture: a dashed vertical line on the time axis."""

    date: datetime.date
    label: str  # e.g. "L1 fracture"


@dataclasses.dataclass(frozen=True)
class Span:
    """A treatment period: a hatched span on the time axis."""

    start: datetime.date
    end: datetime.date | None  # None: ongoing, drawn to the right edge of the axis
    label: str  # e.g. "Alendronate"


def has_trend(series: Sequence[Series]) -> bool:
    """True when some series has two points or more, i.e. a line worth drawing."""
    return any(len(s.points) >= 2 for s in series)


def chart_key(kind: str, *parts: object) -> str:
    """A cache key for a chart of kind drawn from parts (dataclasses, sequences, plain values)."""
    payload = [kind, CHART_VERSION, [_canonical(part) for part in parts]]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f"{kind}-v{CHART_VERSION}-{hashlib.sha256(text.encode()).hexdigest()}"


def t_score_chart(
    series: Sequence[Series],
    *,
    fractures: Sequence[Event] = (),
    treatments: Sequence[Span] = (),
    title: str = "T-score over time",
    layout: Layout = WIDE,
    words: bool = False,
) -> bytes:
    """T-scores per site over time against the WHO bands, as SVG (`words`: a patient's)."""
    # The whole WHO scale even for a normal result, so the distance to it is visible.
    scale = _Scale("T-score", -4.5, WHO_BANDS, _WHO_LABEL_AT)
    return _score_chart(series, fractures, treatments, title, scale, layout, words)


def z_score_chart(
    series: Sequence[Series],
    *,
    fractures: Sequence[Event] = (),
    treatments: Sequence[Span] = (),
    title: str = "Z-score over time",
    layout: Layout = WIDE,
    words: bool = False,
) -> bytes:
    """Z-scores per site over time against the expected range for age, as SVG."""
    scale = _Scale("Z-score", -3.5, Z_BANDS, _Z_LABEL_AT)
    return _score_chart(series, fractures, treatments, title, scale, layout, words)


@dataclasses.dataclass(frozen=True)
class _Scale:
    """A score axis: its name, the lowest value always shown, and its labelled bands."""

    name: str
    floor: float
    bands: tuple
    label_at: tuple


def _score_chart(series, fractures, treatments, title: str, scale: _Scale, layout, words) -> bytes:
    if not _has_points(series):
        return _no_data(title, layout)

    def draw(fig: Figure) -> None:
        ax = _time_axes(fig, title, series, fractures, treatments, layout)
        values = _values(series)
        low, high = min(scale.floor, min(values) - 0.5), max(2.0, max(values) + 0.5)
        ax.set_ylim(low, high)
        ax.yaxis.set_major_locator(MultipleLocator(1.0))
        ax.set_ylabel(scale.name)
        _draw_bands(ax, low, high, scale.bands, scale.label_at)
        rows = _legend(fig, _draw_series(ax, series) + _marker_notes(series, words), layout)
        _fit(fig, ax, left=_LEFT_SCORE, legend_rows=rows)

    return _render(title, draw, layout)


def bmd_chart(
    series: Sequence[Series],
    *,
    bands: Sequence[Band] = (),
    fractures: Sequence[Event] = (),
    treatments: Sequence[Span] = (),
    title: str = "Bone density (BMD) over time",
    layout: Layout = WIDE,
    words: bool = False,
) -> bytes:
    """BMD in g/cm² per site over time with each baseline ± LSC band, as SVG."""
    if not _has_points(series):
        return _no_data(title, layout)

    def draw(fig: Figure) -> None:
        ax = _time_axes(fig, title, series, fractures, treatments, layout)
        edges = [b.baseline - b.lsc for b in bands] + [b.baseline + b.lsc for b in bands]
        values = _values(series) + edges
        pad = max(0.1 * (max(values) - min(values)), 0.02)
        ax.set_ylim(min(values) - pad, max(values) + pad)
        ax.ticklabel_format(axis="y", useOffset=False)  # "0.85", never "+8.5e-1" offsets
        ax.set_ylabel("BMD (g/cm²)")
        handles = _draw_series(ax, series) + _draw_lsc_bands(ax, series, bands, words)
        rows = _legend(fig, handles + _marker_notes(series, words), layout)
        _fit(fig, ax, left=_LEFT_BMD, legend_rows=rows)

    return _render(title, draw, layout)


def pain_chart(points: Sequence[Point], *, title: str = "Pain score over time") -> bytes:
    """Self-reported pain (0–10) over time, as SVG."""
    if not points:
        return _no_data(title)
    series = [Series("Pain score", tuple(points))]

    def draw(fig: Figure) -> None:
        ax = _time_axes(fig, title, series, (), ())
        ax.set_ylim(-0.3, 10.3)  # the whole scale, with room for markers at 0 and 10
        ax.yaxis.set_major_locator(MultipleLocator(2))
        ax.set_ylabel("Pain (0\u201310)")
        _draw_series(ax, series)  # one series: the title names it, no legend needed
        _fit(fig, ax, left=_LEFT_SCORE)

    return _render(title, draw)


# Drawing ------------------------------------------------------------------------------------


def _render(
    title: str, draw: Callable[[Figure], None], layout: Layout = WIDE, size=None, axes=True
) -> bytes:
    with _LOCK, matplotlib.rc_context(_rc(layout)), _collector_paused():
        fig = pickle.loads(_blank(size or layout.size, layout.scale, axes))
        draw(fig)
        svg = _svg(fig)
    return _accessible(svg, title)


@contextlib.contextmanager
def _collector_paused():
    """Python's cycle collector paused while a chart is drawn.

    A figure is tens of thousands of objects in reference cycles. Left running, the collector
    passes over the figure several times as it is drawn and moves it into older generations,
    so that now and then a whole-process collection lands on a chart request: the slowest
    cold charts took twice the median. Paused, the figure is freed young, in one cheap
    collection after the drawing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@functools.cache
def _blank(size: tuple[float, float], scale: float, axes: bool) -> bytes:
    """A blank figure, pickled, with its Axes (if any) and the ticks a chart usually needs.

    Unpickling a copy is a third of the cost of building one: a new Axes reads rcParams for
    every part, and each new tick copies the first tick's properties, markers and all. Built
    under the layout's rcParams and _LOCK, like every chart (hence `scale` in the cache key).
    """
    # 72 dpi, as savefig(format="svg") would switch to: one pixel is one point.
    fig = Figure(figsize=size, dpi=72)
    if axes:
        ax = fig.add_subplot()
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_major_ticks(_TICKS)  # more, when a chart needs them, are made as it draws
            axis.get_minor_ticks(1)  # the axis makes one even with no minor ticks
    return pickle.dumps(fig)


def _svg(fig: Figure) -> str:
    """The figure as SVG text: what savefig(format="svg") does, less switching canvases and
    encoding, and with no MixedModeRenderer, as nothing in a chart is rasterized."""
    width, height = fig.get_size_inches() * 72
    text = io.StringIO()
    # No date in the metadata: identical data must give identical bytes.
    renderer = _SvgRenderer(width, height, text, metadata={"Date": None})
    fig.draw(renderer)
    renderer.finalize()
    return text.getvalue()


class _SvgRenderer(RendererSVG):
    """matplotlib's SVG renderer, with text sizes remembered from one chart to the next.

    Text stays <text> in the SVG, but matplotlib still lays out every glyph of a string to
    align it, once per renderer: that was a tenth of drawing a chart, for the same few dozen
    tick labels, legend entries and annotations every time.
    """

    def get_text_width_height_descent(self, s, prop, ismath):
        # A copy: FontProperties is mutable and hashes on its current state.
        return _text_size(s, prop.copy(), ismath)


# Every chart is drawn under the same _RC, so a string in given font properties always measures
# the same; the labels of a clinic's charts are few, the bound only guards against odd data.
_TEXT_TO_PATH = TextToPath()


@functools.lru_cache(maxsize=4096)
def _text_size(text: str, prop: FontProperties, ismath) -> tuple[float, float, float]:
    return _TEXT_TO_PATH.get_text_width_height_descent(text, prop, ismath)


def _no_data(title: str, layout: Layout = WIDE) -> bytes:
    def draw(fig: Figure) -> None:
        fig.text(0.5, 0.5, NO_DATA, ha="center", va="center", fontsize=11 * _scale())
        fig.texts[-1].set_color("#555555")

    return _render(title, draw, layout, size=(layout.size[0], 1.0), axes=False)


def _time_axes(fig, title, series, fractures, treatments, layout: Layout = WIDE) -> Axes:
    """Axes with a date x axis spanning the data and events, with fractures and treatments."""
    (ax,) = fig.axes  # from _blank()
    if layout.title_wrap:
        title = "\n".join(textwrap.wrap(title, layout.title_wrap))
    # A fixed y: left to itself, matplotlib measures the tick labels to keep the title clear.
    ax.set_title(_plain(title), y=1.0)
    dates = [p.date for s in series for p in s.points] + [f.date for f in fractures]
    dates += [d for t in treatments for d in (t.start, t.end) if d is not None]
    first, last = _day(min(dates)), _day(max(dates))
    pad = max(0.04 * (last - first), 60.0)  # days; a lone scan still gets a readable axis
    ax.set_xlim(first - pad, last + pad)
    locator = mdates.AutoDateLocator(minticks=3, maxticks=layout.max_ticks)
    # With few ticks, two or three years are better marked once a year than every 6 months.
    locator.intervald[mdates.MONTHLY] = [1, 2, 3, 4, 6, 12]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    _draw_treatments(ax, treatments, last + pad)
    _draw_fractures(ax, fractures)
    return ax


def _draw_bands(ax: Axes, low: float, high: float, bands, label_at) -> None:
    """Shaded score bands (WHO categories, or the expected range for age), each labelled."""
    spans, fills = [], []
    for (lower, upper, label, fill), (y, va) in zip(bands, label_at, strict=True):
        spans.append((low if lower is None else lower, high if upper is None else upper))
        fills.append(fill)
        # Under the data lines, so a label never hides a measurement.
        ax.annotate(
            label,
            xy=(1, y),
            xycoords=("axes fraction", "data"),
            xytext=(-4, 2 if va == "bottom" else -2),
            textcoords="offset points",
            ha="right",
            va=va,
            fontsize=_small(),
            color="#555555",
            zorder=_Z_NOTE,
        )
    _bands_across(ax, spans, facecolors=fills, linewidths=0, zorder=_Z_WHO)


def _draw_series(ax: Axes, series: Sequence[Series]) -> list[Artist]:
    handles = []
    # Style follows the position in the list, so a site keeps its look when another has no data.
    for index, one in enumerate(series):
        if not one.points:
            continue
        colour, linestyle, marker = _style(index)
        points = sorted(one.points, key=lambda p: p.date)
        (line,) = ax.plot(
            _x(points),
            [p.value for p in points],
            label=_plain(one.label),
            color=colour,
            linestyle=linestyle,
            linewidth=1.8,
            marker=marker,
            markersize=6,
            zorder=_Z_DATA,
        )
        if other := [p for p in points if p.other_scanner]:
            ax.plot(
                _x(other),
                [p.value for p in other],
                linestyle="none",
                marker=marker,
                markersize=6,
                markerfacecolor="white",
                markeredgecolor=colour,
                zorder=_Z_DATA + 0.1,
            )
        if significant := [p for p in points if p.significant]:
            ax.plot(_x(significant), [p.value for p in significant], **_RING)
        handles.append(line)
    return handles


def _marker_notes(series: Sequence[Series], words: bool = False) -> list[Artist]:
    """Legend entries explaining hollow markers and rings, only when the chart has them."""
    points = [p for s in series for p in s.points]
    notes = []
    if any(p.other_scanner for p in points):
        notes.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker="o",
                markersize=6,
                markerfacecolor="white",
                markeredgecolor="#444444",
                label=WORDS[OTHER_SCANNER] if words else OTHER_SCANNER,
            )
        )
    if any(p.significant for p in points):
        label = WORDS[SIGNIFICANT] if words else SIGNIFICANT
        notes.append(Line2D([], [], label=label, **{**_RING, "markersize": 10}))
    return notes


def _draw_lsc_bands(
    ax: Axes, series: Sequence[Series], bands: Sequence[Band], words: bool = False
) -> list[Artist]:
    if not bands:
        return []
    by_label = {s.label: _style(i)[0] for i, s in enumerate(series)}
    colours = [by_label.get(band.series_label, "#666666") for band in bands]
    _bands_across(
        ax,
        [(band.baseline - band.lsc, band.baseline + band.lsc) for band in bands],
        facecolors=[(colour, 0.12) for colour in colours],
        linewidths=0,
        zorder=_Z_SHADE,
    )
    _lines_across(
        ax,
        [band.baseline for band in bands],
        colors=[(colour, 0.9) for colour in colours],
        linestyles=[(0, (4, 3))],
        linewidths=0.9,
        zorder=_Z_NOTE,
    )
    return [
        Patch(
            facecolor=colour,
            alpha=0.25,
            edgecolor=colour,
            linestyle="--",
            label=_plain(
                WORDS["band"].format(band.series_label)
                if words
                else f"Baseline ± LSC ({band.series_label})"
            ),
        )
        for band, colour in zip(bands, colours, strict=True)
    ]


def _draw_fractures(ax: Axes, fractures: Sequence[Event]) -> None:
    for fracture in fractures:
        x = _day(fracture.date)
        ax.axvline(x, color="#333333", linestyle="--", linewidth=1.0, zorder=_Z_NOTE)
        # Written along the line just left of it, from the top, where lines are usually sparse.
        ax.annotate(
            _plain(fracture.label),
            xy=(x, 1),
            xycoords=("data", "axes fraction"),
            xytext=(-3, -4),
            textcoords="offset points",
            rotation=90,
            ha="right",
            va="top",
            fontsize=_small(),
            color="#333333",
            zorder=_Z_NOTE,
        )


def _draw_treatments(ax: Axes, treatments: Sequence[Span], axis_end: float) -> None:
    for treatment in treatments:
        start = _day(treatment.start)
        end = axis_end if treatment.end is None else _day(treatment.end)
        # Hatched, not tinted: a grey tint muddies the WHO colours under it.
        ax.axvspan(
            start,
            end,
            facecolor="none",
            edgecolor="none",
            hatch="////",
            hatchcolor="#b4bcc4",
            hatch_linewidth=0.5,
            zorder=_Z_SHADE,
        )
        # Written from the start of the span into it; a label that would run past the right
        # edge is written from the span's end (or the edge) leftwards instead, and wrapped when
        # it is longer than the chart is wide, so it is never cut off however narrow the chart.
        left, right = ax.get_xlim()
        room = _axes_width_pt(ax.figure) * (right - start) / (right - left)
        label = treatment.label
        from_end = _text_width_pt(label) > room
        if from_end and _text_width_pt(label) > _axes_width_pt(ax.figure) * 0.9:
            label = "\n".join(textwrap.wrap(label, max(10, len(label) // 2 + 1)))
        ax.annotate(
            _plain(label),
            xy=(min(end, right) if from_end else start, 0),
            xycoords=("data", "axes fraction"),
            xytext=(-3 if from_end else 3, 3),
            textcoords="offset points",
            ha="right" if from_end else "left",
            va="bottom",
            fontsize=_small(),
            color="#3d4852",
            zorder=_Z_NOTE,
        )


def _axes_width_pt(fig: Figure) -> float:
    """The plot's width in points, near enough before _fit() places it: the widest margins."""
    return fig.get_size_inches()[0] * 72 - (_LEFT_BMD + _RIGHT) * _scale()


def _text_width_pt(text: str) -> float:
    """A label's width in points at the annotation size, measured as matplotlib will draw it."""
    width, _height, _descent = _text_size(text, FontProperties(size=_small()), False)
    return width


def _bands_across(ax: Axes, spans: Sequence[tuple[float, float]], **style) -> None:
    """Horizontal bands from low to high across the plot, as one artist.

    Not ax.axhspan() for each: every patch it makes updates the data limits (unused, as each
    chart sets its own) through a chain of transforms, and is then drawn on its own.
    """
    boxes = [[(0, low), (0, high), (1, high), (1, low)] for low, high in spans]
    _across(ax, PolyCollection(boxes, **style))


def _lines_across(ax: Axes, ys: Sequence[float], **style) -> None:
    """Horizontal lines across the plot, as one artist: ax.axhline() for many, more cheaply."""
    _across(ax, LineCollection([[(0, y), (1, y)] for y in ys], **style))


def _across(ax: Axes, collection) -> None:
    # x from the left to the right edge of the axes, y in data.
    collection.set_transform(ax.get_yaxis_transform(which="grid"))
    ax.add_collection(collection, autolim=False)


def _legend(fig: Figure, handles: list[Artist], layout: Layout = WIDE) -> int:
    """The legend below the plot, outside the axes, so it never covers data; its line count.

    A narrow chart has one column, its labels wrapped to the chart's width.
    """
    if not handles:
        return 0
    columns = min(len(handles), layout.legend_columns)
    labels = [handle.get_label() for handle in handles]
    if layout.wrap:
        labels = ["\n".join(textwrap.wrap(label, layout.wrap)) for label in labels]
    fig.legend(handles=handles, labels=labels, loc="lower center", ncols=columns)
    lines = [label.count("\n") + 1 for label in labels]
    rows = [max(lines[start : start + columns]) for start in range(0, len(lines), columns)]
    return sum(rows)


def _fit(fig: Figure, ax: Axes, *, left: float, legend_rows: int = 0) -> None:
    """Place the axes inside fixed margins, leaving room below for dates and the legend."""
    width, height = fig.get_size_inches() * 72
    scale = _scale()
    left *= scale
    ticks = ax.get_xticks()
    # Fixed from here on, as the limits are: the date locator would work them out again to draw.
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    formatter = ax.xaxis.get_major_formatter()
    formatter.format_ticks(ticks)  # sets the offset ("2024") the axis will show
    bottom = _BOTTOM + _DATE_LABELS + (_DATE_OFFSET if formatter.get_offset() else 0.0)
    bottom *= scale
    if legend_rows:
        bottom += _legend_height(legend_rows)
    # A wrapped title's further lines stand above the first.
    lines = ax.get_title(loc=matplotlib.rcParams["axes.titlelocation"]).count("\n")
    top = _TOP * scale + lines * 1.2 * matplotlib.rcParams["axes.titlesize"]
    fig.subplots_adjust(
        left=left / width,
        right=1 - _RIGHT * scale / width,
        top=1 - top / height,
        bottom=bottom / height,
    )
    # The y label a fixed distance from the figure's edge, and no x label, so that matplotlib
    # need not measure the tick labels to place them.
    axes_width = width * (1 - _RIGHT * scale / width) - left
    ax.yaxis.set_label_coords(-(left - _LABEL_EDGE * scale) / axes_width, 0.5)
    ax.xaxis.set_label_coords(0.5, 0.0)


def _legend_height(rows: int) -> float:
    """The height in points of a legend of `rows` rows with its gap to the figure's edge."""
    size = matplotlib.rcParams["legend.fontsize"]
    padding = (
        2 * matplotlib.rcParams["legend.borderpad"] + matplotlib.rcParams["legend.borderaxespad"]
    )
    spacing = (rows - 1) * matplotlib.rcParams["legend.labelspacing"]
    return size * (rows * 1.2 + spacing + padding)


# Small helpers ------------------------------------------------------------------------------


def _style(index: int) -> tuple[str, str, str]:
    return (
        _COLOURS[index % len(_COLOURS)],
        _LINESTYLES[index % len(_LINESTYLES)],
        _MARKERS[index % len(_MARKERS)],
    )


def _x(points: Sequence[Point]):
    # One call for all: each call converts through numpy.
    return mdates.date2num([_within(p.date) for p in points])


# Forms keep dates plausible, but a chart must draw whatever is stored (an import, the admin,
# an older version): a date outside these years is drawn at the edge, where matplotlib's date
# axis still works (it fails beyond year 9999); the table beside the chart shows it as stored.
_DRAWN_FROM, _DRAWN_TO = datetime.date(1800, 1, 1), datetime.date(2300, 12, 31)


def _within(day: datetime.date) -> datetime.date:
    if isinstance(day, datetime.datetime):
        day = day.date()
    return min(max(day, _DRAWN_FROM), _DRAWN_TO)


def _day(day: datetime.date) -> float:
    return mdates.date2num(_within(day))


def _values(series: Sequence[Series]) -> list[float]:
    return [p.value for s in series for p in s.points]


def _has_points(series: Sequence[Series]) -> bool:
    return any(s.points for s in series)


def _plain(text: str) -> str:
    # Labels come from clinic data; "$" would otherwise switch matplotlib into mathtext.
    return text.replace("$", r"\$")


def _accessible(text: str, title: str) -> bytes:
    """Give the root <svg> role="img", an aria-label and a <title> as its first child."""
    start = text.index("<svg")
    end = text.index(">", start)  # matplotlib's root attributes hold no ">"
    opening = f'{text[start:end]} role="img" aria-label={quoteattr(title)}>'
    heading = f"\n <title>{escape(title)}</title>"
    return (text[:start] + opening + heading + text[end + 1 :]).encode("utf-8")


def _canonical(value: object) -> object:
    """Plain JSON-able form of chart data: dataclasses as tagged dicts, dates as ISO strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"chart_key() cannot hash {type(value).__name__}")
