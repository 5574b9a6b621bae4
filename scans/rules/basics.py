"""The vocabulary every rule shares: sites, sexes, menopausal status and manufacturers (the
Django models use the same codes as TextChoices values), scores rounded and shown as scanners
report them, and dates in words and months.
"""

from __future__ import annotations

import calendar
import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MINUS = "\u2212"


class Site(StrEnum):
    LUMBAR_SPINE = "lumbar_spine"
    FEMORAL_NECK = "femoral_neck"
    TOTAL_HIP = "total_hip"
    RADIUS_33 = "radius_33"


# docs/clinical-rules.md §2 (ISCD Official Positions 2019/2023): the sites that diagnose. The 33%
# radius is only a fallback; the order here also breaks ties between equal lowest scores.
DIAGNOSTIC_SITES: tuple[Site, ...] = (Site.LUMBAR_SPINE, Site.TOTAL_HIP, Site.FEMORAL_NECK)

SITE_LABELS: dict[Site, str] = {
    Site.LUMBAR_SPINE: "Lumbar spine L1–L4",
    Site.FEMORAL_NECK: "Femoral neck",
    Site.TOTAL_HIP: "Total hip",
    Site.RADIUS_33: "33% radius",
}


def site_in_text(site: Site) -> str:
    """A site's label inside a sentence: "total hip", "lumbar spine L1–L4"."""
    label = SITE_LABELS[Site(site)]
    return label[0].lower() + label[1:]


LEFT = "left"
RIGHT = "right"
SIDES = (LEFT, RIGHT, "")  # "" = no side (the spine) or side not recorded


class Manufacturer(StrEnum):
    HOLOGIC = "hologic"
    GE_LUNAR = "ge_lunar"
    NORLAND = "norland"
    OTHER = "other"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Menopause(StrEnum):
    PRE = "pre"
    PERI = "peri"
    POST = "post"
    NOT_APPLICABLE = "not_applicable"
    # Not recorded (e.g. an import without the column): unlike "not applicable" (a man, or a
    # woman after hysterectomy), it asks for the status to be recorded.
    UNKNOWN = "unknown"


def round_half_away(value: float, places: int) -> float:
    # Decimal on the shortest repr rounds what the user sees: −2.45 is −2.5, whereas the binary
    # float −2.45 (−2.4500000000000002) or Python's round() (half to even) could disagree.
    if not math.isfinite(value):
        raise ValueError(f"A score or BMD must be a finite number, not {value}.")
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def round_score(x: float) -> float:
    """A T- or Z-score rounded to one decimal, half away from zero, as scanners report it."""
    # docs/clinical-rules.md §1: classify on the score rounded to 0.1 (ROUND_HALF_UP is away from
    # zero).
    return round_half_away(x, 1)


def format_number(value: float, places: int, *, plus: bool = False) -> str:
    rounded = round_half_away(value, places)
    text = f"{abs(rounded):.{places}f}"
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if plus and rounded > 0 else text


def format_score(x: float) -> str:
    """A T- or Z-score for display: one decimal, with a real minus sign (−2.5)."""
    return format_number(round_score(x), 1)


def exact_decimal(value: float) -> Decimal:
    # The shortest repr is the number as entered or stored (0.812, 5.3): exact arithmetic on it
    # keeps 0.847 − 0.880 from reading as 0.03300000000000003.
    return Decimal(repr(value))


def format_grams(value: float, *, plus: bool = False) -> str:
    return f"{format_number(value, 3, plus=plus)} g/cm²"


def long_date(day: date) -> str:
    """A date in words: "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def add_months(start: date, months: int) -> date:
    """The same day some months later, clamped to the month's end (29 Feb → 28 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > date.max.year:  # a stored date near the calendar's end: no later day exists
        return date.max
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
