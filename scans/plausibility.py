"""Plausibility of an entered result, checked before it is saved (docs/clinical-rules.md §13).

Plain functions on plain values; `scans.entry` loads what they need from the database. A result
that fails a check is not refused: it is stored only once a clinician has checked it against the
printed report, and the warnings are kept with the scan.

- The hip T-score against the NHANES III reference (docs/clinical-rules.md §5), on the numbers
  as typed, unrounded.
- Every site: T = (BMD − young-adult mean) / young-adult SD, so one scanner's results at one
  site, for one sex and reference database, lie on one straight line of T against BMD (up to
  the rounding of T to 0.1 and BMD to 0.001). This is our own rule, derived from that
  definition (§13): a result more than 0.3 T off the line that scanner's earlier released
  results draw is most likely a typing error.
- BMD changes by a few percent a year; a change faster than a set rate (10%/year by default)
  since the previous released scan at that site deserves a confirmation (§13, use with care).
- A lumbar vertebra that differs from its neighbour by more than 1.0 T is named with the ISCD
  exclusion rule (§2); the program never recomputes a T-score (§13: the scanner's re-analysis
  gives the reduced run's T-score).
"""

import datetime
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from patients.numbers import format_number

from .rules.basics import Manufacturer, Site
from .rules.references import REFERENCES
from .rules.spine import MIN_VERTEBRAE

# §5: a hip T-score more than 0.3 from its NHANES III value is worth a warning; the same
# tolerance serves the learned line (§13).
T_TOLERANCE = Decimal("0.3")
# §13: a line is used once this many released results of that scanner, site and sex exist,
# spread over at least this BMD range (a line through a cluster has no reliable slope) ...
MIN_LINE_RESULTS = 5
MIN_LINE_SPREAD = 0.050  # g/cm²
# ... and only while they fit it: results rounded to 0.1 T lie within ±0.05 T of their line.
# A wider scatter means mixed reference databases or earlier typing errors: the line is shown
# on the scanner's page but not used to flag.
MAX_LINE_RESIDUAL_SD = 0.10  # T
# §13 (use with care): the fastest common loss is 5–10% a year; a setting overrides it.
DEFAULT_MAX_CHANGE_PERCENT_PER_YEAR = Decimal("10")
# Scans less than a year apart are held to one year's change: over a few weeks the scanner's
# own precision error (1–2.5%, §4) would otherwise look like a fast rate.
MIN_YEARS_FOR_RATE = Decimal("1")
# §2 (ISCD): a vertebra more than 1.0 T from its neighbour is excluded; two must remain.
VERTEBRA_T_DIFFERENCE = Decimal("1.0")

HIP_SITES = ("femoral_neck", "total_hip")


def _hundredths(value) -> Decimal:
    return Decimal(repr(value) if isinstance(value, float) else value).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def nhanes_warning(site: str, bmd: Decimal, t_score: Decimal, manufacturer: str) -> str | None:
    """A warning when a hip T-score is more than 0.3 from its NHANES III value (unrounded)."""
    reference = REFERENCES.get(Site(site)) if site in HIP_SITES else None
    # §5: the reference is on the Hologic scale; other makers are checked by the learned line.
    if reference is None or manufacturer != Manufacturer.HOLOGIC:
        return None
    expected = (Decimal(bmd) - Decimal(str(reference.mean))) / Decimal(str(reference.sd))
    if abs(Decimal(t_score) - expected) <= T_TOLERANCE:
        return None
    care = " (to be used with care)" if reference.use_with_care else ""
    return (
        f"T-score {format_number(t_score)} does not fit BMD {bmd} g/cm²: the NHANES III "
        f"reference{care} gives {format_number(expected.quantize(Decimal('0.01')))} — a typing "
        "error, or another reference database?"
    )


@dataclass(frozen=True)
class Line:
    """T against BMD, fitted by least squares to one scanner's released results."""

    n: int
    slope: float  # T per g/cm²: 1 / young-adult SD
    intercept: float
    residual_sd: float  # T: how far results lie from the line
    r_squared: float
    bmd_spread: float  # g/cm², highest minus lowest BMD

    @property
    def mean(self) -> float:
        """The young-adult mean BMD the line implies (T = 0)."""
        return -self.intercept / self.slope

    @property
    def sd(self) -> float:
        """The young-adult SD the line implies (one T-score unit)."""
        return 1 / self.slope

    @property
    def usable(self) -> bool:
        return (
            self.n >= MIN_LINE_RESULTS
            and self.bmd_spread >= MIN_LINE_SPREAD
            and self.slope > 0
            and self.residual_sd <= MAX_LINE_RESIDUAL_SD
        )

    @property
    def why_unused(self) -> str:
        if self.n < MIN_LINE_RESULTS:
            return f"{self.n} of the {MIN_LINE_RESULTS} released results needed"
        if self.bmd_spread < MIN_LINE_SPREAD:
            return f"BMD spread {self.bmd_spread:.3f} g/cm², at least {MIN_LINE_SPREAD:.3f} needed"
        if self.slope <= 0:
            return "T does not rise with BMD"
        if self.residual_sd > MAX_LINE_RESIDUAL_SD:
            return (
                f"results lie {self.residual_sd:.2f} T from the line (at most "
                f"{MAX_LINE_RESIDUAL_SD:.2f}): mixed reference databases or earlier typing errors"
            )
        return ""

    def expected_t(self, bmd: Decimal) -> float:
        return self.intercept + self.slope * float(bmd)


def line_from_sums(
    *, n: int, sx: float, sy: float, sxx: float, sxy: float, syy: float, spread: float
) -> Line | None:
    """The least-squares line of T (y) on BMD (x) from the sums a database can add up."""
    if n < 2:
        return None
    sxx_c = sxx - sx * sx / n
    if sxx_c <= 1e-12:
        return None
    sxy_c = sxy - sx * sy / n
    syy_c = max(syy - sy * sy / n, 0.0)
    slope = sxy_c / sxx_c
    intercept = (sy - slope * sx) / n
    sse = max(syy_c - slope * sxy_c, 0.0)
    residual_sd = math.sqrt(sse / (n - 2)) if n > 2 else 0.0
    r_squared = 1 - sse / syy_c if syy_c > 0 else 1.0
    return Line(n, slope, intercept, residual_sd, r_squared, spread)


def fit_line(points) -> Line | None:
    """The line through (BMD, T) pairs; None when their BMDs are all the same."""
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    if not xs:
        return None
    return line_from_sums(
        n=len(xs),
        sx=sum(xs),
        sy=sum(ys),
        sxx=sum(x * x for x in xs),
        sxy=sum(x * y for x, y in zip(xs, ys, strict=True)),
        syy=sum(y * y for y in ys),
        spread=max(xs) - min(xs),
    )


def line_warning(line: Line | None, bmd: Decimal, t_score: Decimal) -> str | None:
    """A warning when a result lies more than 0.3 T off its scanner's learned line."""
    if line is None or not line.usable:
        return None
    expected = _hundredths(line.expected_t(bmd))
    # To hundredths: a T-score is printed to 0.1, and floats would make 0.3 into 0.30000001.
    if abs(Decimal(t_score) - expected) <= T_TOLERANCE:
        return None
    return (
        f"T-score {format_number(t_score)} is off this scanner's line for BMD {bmd} g/cm² "
        f"(its {line.n} released results give {format_number(expected)}) — a typing error?"
    )


def rate_warning(
    *,
    previous_date: datetime.date,
    previous_bmd: Decimal,
    date: datetime.date,
    bmd: Decimal,
    max_percent_per_year: Decimal,
) -> str | None:
    """A warning when BMD changed faster than the set rate since the previous released scan."""
    if date <= previous_date or not previous_bmd:
        return None
    years = max(Decimal((date - previous_date).days) / Decimal("365.25"), MIN_YEARS_FOR_RATE)
    percent = (Decimal(bmd) - Decimal(previous_bmd)) / Decimal(previous_bmd) * 100
    if abs(percent) <= max_percent_per_year * years:
        return None
    per_year = (percent / years).quantize(Decimal("0.1"))
    return (
        f"BMD {bmd} g/cm² is {format_number(percent.quantize(Decimal('0.1')), plus=True)}% "
        f"since {previous_bmd} g/cm² on {previous_date:%Y-%m-%d} "
        f"({format_number(per_year, plus=True)}% a year; more than "
        f"{max_percent_per_year.normalize()}% a year is rarely real) — check both scans."
    )


def vertebrae_run(levels) -> str:
    """Vertebrae for text: (1, 2, 4) → "L1–L2, L4"."""
    runs, start, previous = [], None, None
    for level in sorted(levels):
        if start is None:
            start = previous = level
        elif level == previous + 1:
            previous = level
        else:
            runs.append((start, previous))
            start = previous = level
    if start is not None:
        runs.append((start, previous))
    return ", ".join(f"L{a}" if a == b else f"L{a}–L{b}" for a, b in runs)


def vertebra_exclusion(t_scores: dict[int, Decimal]) -> str | None:
    """The ISCD rule when a vertebra differs from its neighbour by more than 1.0 T (§2)."""
    levels = sorted(t_scores)
    pairs = [
        (a, b)
        for a, b in zip(levels, levels[1:], strict=False)
        if b == a + 1 and abs(Decimal(t_scores[a]) - Decimal(t_scores[b])) > VERTEBRA_T_DIFFERENCE
    ]
    if not pairs:
        return None
    # The odd one out differs from every neighbour it has; at the end of the run a pair alone
    # cannot say which, so both are named.
    suspects = []
    for level in levels:
        neighbours = [n for n in (level - 1, level + 1) if n in t_scores]
        if neighbours and all((min(level, n), max(level, n)) in pairs for n in neighbours):
            suspects.append(level)
    # One that differs from both its neighbours explains the end vertebra's difference too.
    inner = [level for level in suspects if level - 1 in t_scores and level + 1 in t_scores]
    suspects = inner or suspects
    if not suspects or len(suspects) == len(levels):
        suspects = sorted({level for pair in pairs for level in pair})
    shown = ", ".join(f"L{level} {format_number(Decimal(t_scores[level]))}" for level in levels)
    named = " and ".join(f"L{level}" for level in suspects)
    remaining = [level for level in levels if level not in suspects]
    if len(remaining) >= MIN_VERTEBRAE:
        advice = (
            f"re-analyse {vertebrae_run(remaining)} on the scanner and enter the T-score it "
            "reports for them"
        )
    else:
        advice = "fewer than two vertebrae would remain, so the spine cannot be used"
    return (
        f"{named} differ{'s' if len(suspects) == 1 else ''} from a neighbour by more than 1.0 "
        f"T-score ({shown}). ISCD excludes such a vertebra when at least two remain: {advice}. "
        "The program does not recompute T-scores."
    )
