"""Run charts of the FLS KPIs: the percentage month by month against the IOF levels, as SVG.

Drawn like every chart of the site (scans.charts): matplotlib's Figure, never pyplot, under the
same lock, settings and accessible SVG wrapping.
"""

import statistics
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MultipleLocator

from scans import charts

from .report import MonthPoint

# IOF levels (docs/clinical-rules.md §15), the same fills as the WHO bands of the scan charts.
LEVEL_BANDS = ((0, 50, "#f8dcd5"), (50, 80, "#fcf0d2"), (80, 100, "#e4f2e8"))


def run_chart(points: Sequence[MonthPoint], *, title: str, levels: bool = True) -> bytes:
    """Percentage per month of index fracture against its median (a run chart) and the IOF
    levels; months with no episode due leave a gap."""
    if not any(point.denominator for point in points):
        return charts._render(title, lambda fig: _empty(fig))

    def draw(fig: Figure) -> None:
        ax = fig.axes[0]
        xs = list(range(len(points)))
        ys = [point.percentage for point in points]
        ax.set_title(charts._plain(title), loc="left")
        if levels:
            for low, high, colour in LEVEL_BANDS:
                ax.axhspan(low, high, color=colour, zorder=0.5, linewidth=0)
            for y in (50, 80):
                ax.axhline(y, color="#888888", linewidth=0.8, linestyle="--", zorder=1)
        ax.plot(
            xs,
            [float("nan") if y is None else y for y in ys],
            color="#0072B2",
            marker="o",
            linewidth=1.5,
            zorder=3,
        )
        known = sorted(y for y in ys if y is not None)
        middle = statistics.median(known)
        ax.axhline(middle, color="#000000", linewidth=1.0, linestyle=":", zorder=2)
        ax.annotate(
            f"median {middle:.0f}%",
            (1, middle),
            xycoords=("axes fraction", "data"),
            xytext=(-2, 3),
            textcoords="offset points",
            ha="right",
            fontsize=8,
        )
        ax.set_ylim(-3, 103)
        ax.set_xlim(-0.5, len(points) - 0.5)
        ax.yaxis.set_major_locator(MultipleLocator(20))
        ax.set_ylabel("% of patients")
        step = max(1, len(points) // 12)
        ax.set_xticks(xs[::step], [f"{point.month:%b %Y}" for point in points][::step])
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        fig.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.27)

    return charts._render(title, draw)


def _empty(fig: Figure) -> None:
    ax = fig.axes[0]
    ax.set_axis_off()
    ax.text(0.5, 0.5, charts.NO_DATA, ha="center", va="center", fontsize=11, color="#555555")
