"""Serial monitoring: a scanner's precision, the least significant change and the change between
two scans — docs/clinical-rules.md §3, §4 and §6.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from .basics import Manufacturer, Site, exact_decimal, format_number, round_half_away, site_in_text
from .manufacturers import standardized_g_cm2

# docs/clinical-rules.md §4 (ISCD precision calculator; Glüer 1995, PubMed 7492865): LSC at 95%
# confidence is 1.96 × √2 × RMS-SD, and a study needs at least 27 degrees of freedom.
LSC_FACTOR = 2.77
MIN_DEGREES_OF_FREEDOM = 27

# docs/clinical-rules.md §4: ISCD minimum acceptable precision per technologist, (%CV, LSC %). Use
# with care (one secondary source): it stands in, labelled, until the device has its own assessment.
DEFAULT_PRECISION_PERCENT: dict[Site, tuple[float, float]] = {
    Site.LUMBAR_SPINE: (1.9, 5.3),
    Site.TOTAL_HIP: (1.8, 5.0),
    Site.FEMORAL_NECK: (2.5, 6.9),
}


@dataclass(frozen=True)
class Precision:
    """A scanner's precision at one site; measured values are kept unrounded."""

    rms_sd: float | None  # g/cm²
    lsc: float | None  # g/cm²
    cv_percent: float | None
    lsc_percent: float | None
    measured: bool
    patients: int = 0
    degrees_of_freedom: int = 0

    @property
    def description(self) -> str:
        """The precision in words, e.g. "RMS-SD 0.012 g/cm², LSC 0.033 g/cm² (%CV 1.3%)"."""
        if self.measured and self.rms_sd is not None and self.lsc is not None:
            # The LSC as judged: a fourth decimal when it has one, so that an LSC of 0.0332
            # never reads as the 0.033 change it does not reach (docs/clinical-rules.md §3.1).
            places = 3 if round_half_away(self.lsc, 4) == round_half_away(self.lsc, 3) else 4
            text = f"RMS-SD {self.rms_sd:.3f} g/cm², LSC {format_number(self.lsc, places)} g/cm²"
            if self.cv_percent is not None:
                text += f" (%CV {format_number(self.cv_percent, 1)}%)"
            return text
        if self.lsc_percent is not None:
            text = f"default, not measured: LSC {format_number(self.lsc_percent, 1)}%"
            if self.cv_percent is not None:
                text += f" (%CV {format_number(self.cv_percent, 1)}%)"
            return text
        return "no precision known"


def precision_from_study(groups: Sequence[Sequence[float]]) -> Precision:
    """Precision (RMS-SD, LSC, %CV) from repeat scans, one group of 2 or 3 BMDs per patient."""
    for number, group in enumerate(groups, start=1):
        if len(group) < 2:
            scans = "no scan" if not group else "only one scan"
            raise ValueError(
                f"Patient {number} has {scans}: every patient in a precision study "
                "needs 2 or 3 scans, repositioned between scans."
            )
        for value in group:
            if not (math.isfinite(value) and value > 0):
                raise ValueError(
                    f"Patient {number} has a BMD of {value} g/cm²: every BMD must be above zero."
                )
    degrees_of_freedom = sum(len(group) - 1 for group in groups)
    if degrees_of_freedom < MIN_DEGREES_OF_FREEDOM:
        raise ValueError(
            f"A precision study needs at least {MIN_DEGREES_OF_FREEDOM} degrees of freedom "
            "(30 patients scanned twice or 15 three times); "
            f"this one has {degrees_of_freedom}."
        )
    # docs/clinical-rules.md §4: SDⱼ² = Σ(x − x̄)² / (kⱼ − 1) (statistics.variance divides by k −
    # 1), and RMS-SD = sqrt(Σ SDⱼ² / m), in g/cm² as ISCD prefers.
    rms_sd = math.sqrt(sum(statistics.variance(group) for group in groups) / len(groups))
    mean_bmd = statistics.fmean(value for group in groups for value in group)
    cv_percent = rms_sd / mean_bmd * 100
    return Precision(
        rms_sd=rms_sd,
        lsc=LSC_FACTOR * rms_sd,
        cv_percent=cv_percent,
        lsc_percent=LSC_FACTOR * cv_percent,
        measured=True,
        patients=len(groups),
        degrees_of_freedom=degrees_of_freedom,
    )


def default_precision(site: Site) -> Precision:
    """The labelled ISCD default for a device without its own assessment."""
    # docs/clinical-rules.md §4.1.
    if site not in DEFAULT_PRECISION_PERCENT:
        # docs/clinical-rules.md §4.1 has no default for the radius: say so, never invent one.
        return Precision(rms_sd=None, lsc=None, cv_percent=None, lsc_percent=None, measured=False)
    cv_percent, lsc_percent = DEFAULT_PRECISION_PERCENT[site]
    return Precision(
        rms_sd=None, lsc=None, cv_percent=cv_percent, lsc_percent=lsc_percent, measured=False
    )


def lsc_exact(precision: Precision, baseline_bmd: float) -> Decimal | None:
    """The LSC in g/cm², unrounded: measured as stored, or the default % of the baseline BMD."""
    # docs/clinical-rules.md §3.1: a change is compared with the LSC before any rounding.
    if precision.lsc is not None:
        return exact_decimal(precision.lsc)
    if precision.lsc_percent is not None:
        return exact_decimal(precision.lsc_percent) / 100 * exact_decimal(baseline_bmd)
    return None


def lsc_g_cm2(precision: Precision, baseline_bmd: float) -> float | None:
    """The LSC in g/cm², unrounded (see lsc_exact)."""
    lsc = lsc_exact(precision, baseline_bmd)
    return None if lsc is None else float(lsc)


# docs/clinical-rules.md §3.1: the most decimals shown to tell a change from its LSC.
MAX_PLACES = 6


def distinct_places(first: Decimal, second: Decimal, *, places: int = 3) -> int:
    """The decimals to show so that two different numbers do not print alike (at least
    `places`, usually one more, at most MAX_PLACES); equal numbers keep `places`."""
    if first == second:
        return places
    while places < MAX_PLACES and format_number(float(first), places) == format_number(
        float(second), places
    ):
        places += 1
    return places


DAYS_PER_YEAR = 365.25
# Annualizing a change over a few months multiplies precision error (a 0.5% wobble over three
# months reads as 2%/year), and ISCD intervals are 1–2 years; below six months: no rate.
MIN_YEARS_FOR_ANNUAL_RATE = 0.5


class Comparability(StrEnum):
    SAME_DEVICE = "same_device"
    SAME_MANUFACTURER = "same_manufacturer"
    CROSS_MANUFACTURER = "cross_manufacturer"
    NOT_COMPARABLE = "not_comparable"


class Direction(StrEnum):
    LOSS = "loss"
    GAIN = "gain"
    NO_SIGNIFICANT_CHANGE = "no_significant_change"
    NOT_JUDGED = "not_judged"


@dataclass(frozen=True)
class ScanPoint:
    date: date
    bmd: float  # g/cm², as reported by the scanner
    manufacturer: Manufacturer
    device_id: Hashable


@dataclass(frozen=True)
class Change:
    """BMD change between two scans at one site.

    Across manufacturers (standardized) the delta and percent are on the sBMD scale, converted
    from mg/cm² back to g/cm², so they are comparable in size to a same-scanner change.
    """

    delta_g_cm2: float | None  # later − earlier, 3 decimals; None when not comparable
    percent: float | None  # of the earlier value, 1 decimal
    years: float  # 2 decimals
    percent_per_year: float | None  # None under MIN_YEARS_FOR_ANNUAL_RATE apart
    comparability: Comparability
    significant: bool | None  # None = cannot be judged
    direction: Direction
    explanation: str
    precision_is_default: bool  # the LSC used is the ISCD default, not measured
    lsc_g_cm2: float | None = None  # the LSC the change was judged against, if any
    standardized: bool = False  # delta and percent are on the sBMD scale


def compare(earlier: ScanPoint, later: ScanPoint, *, site: Site, precision: Precision) -> Change:
    """The change in BMD between two scans, judged against the LSC only on the same scanner."""
    if later.date < earlier.date:
        raise ValueError(
            f"The later scan ({later.date.isoformat()}) is dated before the earlier scan "
            f"({earlier.date.isoformat()})."
        )
    years = (later.date - earlier.date).days / DAYS_PER_YEAR

    # docs/clinical-rules.md §3: compare BMD in g/cm² on the same scanner; a new scanner needs a new
    # precision assessment, so only the same device can be judged against its LSC.
    before, after = earlier.bmd, later.bmd
    if earlier.device_id == later.device_id:
        comparability = Comparability.SAME_DEVICE
    elif earlier.manufacturer == later.manufacturer != Manufacturer.OTHER:
        comparability = Comparability.SAME_MANUFACTURER
    else:
        # docs/clinical-rules.md §6: different manufacturers meet only on the standardized (sBMD)
        # scale.
        standard_before = standardized_g_cm2(earlier.manufacturer, site, earlier.bmd)
        standard_after = standardized_g_cm2(later.manufacturer, site, later.bmd)
        if standard_before is None or standard_after is None:
            return Change(
                delta_g_cm2=None,
                percent=None,
                years=round_half_away(years, 2),
                percent_per_year=None,
                comparability=Comparability.NOT_COMPARABLE,
                significant=None,
                direction=Direction.NOT_JUDGED,
                explanation=(
                    "Not comparable: a different scanner, and no standardized BMD exists "
                    f"for this manufacturer at the {site_in_text(site)}."
                ),
                precision_is_default=False,
            )
        comparability = Comparability.CROSS_MANUFACTURER
        before, after = standard_before, standard_after

    exact_delta = exact_decimal(after) - exact_decimal(before)
    delta = round_half_away(float(exact_delta), 3)
    percent = (after - before) / before * 100
    per_year = None
    if years >= MIN_YEARS_FOR_ANNUAL_RATE:
        per_year = round_half_away(percent / years, 1)

    significant: bool | None = None
    direction = Direction.NOT_JUDGED
    lsc: float | None = None
    if comparability == Comparability.CROSS_MANUFACTURER:
        # docs/clinical-rules.md §6 (Fan 2010): the conversion error of 4–7% exceeds most LSCs.
        explanation = (
            "Approximate: different manufacturer (compared through standardized BMD, "
            "Fan 2010 error 4–7%); not judged significant."
        )
    elif comparability == Comparability.SAME_MANUFACTURER:
        explanation = (
            "Different scanner of the same manufacturer: compared but not judged "
            "significant without cross-calibration."
        )
    elif (exact_lsc := lsc_exact(precision, earlier.bmd)) is None:
        explanation = "No least significant change known for this site: not judged."
    else:
        # docs/clinical-rules.md §3.1: judged on the unrounded numbers (the BMD difference is
        # exact at the reported 0.001 g/cm²; the LSC is not rounded), shown rounded.
        lsc = float(exact_lsc)
        significant, direction, explanation = _judge(exact_delta, percent, exact_lsc, precision)

    return Change(
        delta_g_cm2=delta,
        percent=round_half_away(percent, 1),
        years=round_half_away(years, 2),
        percent_per_year=per_year,
        comparability=comparability,
        significant=significant,
        direction=direction,
        explanation=explanation,
        precision_is_default=lsc is not None and not precision.measured,
        lsc_g_cm2=lsc,
        standardized=comparability == Comparability.CROSS_MANUFACTURER,
    )


def _judge(
    delta: Decimal, percent: float, lsc: Decimal, precision: Precision
) -> tuple[bool, Direction, str]:
    # docs/clinical-rules.md §3 (ISCD): a change is real only when it is at least the LSC.
    significant = abs(delta) >= lsc
    # docs/clinical-rules.md §3.1: a change and an LSC that would print alike get the decimals
    # that tell them apart ("0.0330 is within 0.0332"), never "0.033 is within 0.033".
    places = distinct_places(abs(delta), lsc)

    def grams(value: Decimal, *, plus: bool = False) -> str:
        return f"{format_number(float(value), places, plus=plus)} g/cm²"

    if precision.measured:
        lsc_of = f"the least significant change of {grams(lsc)} for this scanner and site"
        lsc_in = f"the least significant change ({grams(lsc)})"
    else:
        # docs/clinical-rules.md §4: a default LSC is always labelled as such.
        default = "not measured on this scanner"
        if precision.lsc_percent is not None:
            default = f"{format_number(precision.lsc_percent, 1)}%, {default}"
        lsc_of = f"the default least significant change of {grams(lsc)} ({default})"
        lsc_in = f"the default least significant change ({grams(lsc)}, {default})"

    if not significant:
        explanation = (
            f"Change of {grams(delta, plus=True)} is within {lsc_in}: no significant change."
        )
        return False, Direction.NO_SIGNIFICANT_CHANGE, explanation
    verb = "exceeds" if abs(delta) > lsc else "reaches"
    what = "Loss" if delta < 0 else "Gain"
    explanation = (
        f"{what} of {grams(abs(delta))} ({format_number(percent, 1, plus=True)}%) {verb} {lsc_of}."
    )
    return True, Direction.LOSS if delta < 0 else Direction.GAIN, explanation
