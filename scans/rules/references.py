"""Checking a reported hip T-score against the young-adult reference — docs/clinical-rules.md §5."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .basics import (
    Manufacturer,
    Site,
    exact_decimal,
    format_grams,
    format_number,
    format_score,
    round_score,
    site_in_text,
)


@dataclass(frozen=True)
class Reference:
    mean: float  # young-adult mean BMD, g/cm² (Hologic scale)
    sd: float
    use_with_care: bool
    source: str


# docs/clinical-rules.md §5: NHANES III White women aged 20–29 (Looker 1998, Osteoporos Int 8:468),
# on the Hologic scale. The total hip pair rests on one implementation: use with care.
REFERENCES: dict[Site, Reference] = {
    Site.FEMORAL_NECK: Reference(0.858, 0.120, False, "NHANES III (Looker 1998)"),
    Site.TOTAL_HIP: Reference(0.942, 0.122, True, "NHANES III (Looker 1998)"),
}
# docs/clinical-rules.md §5: a difference of more than 0.3 suggests a typing error or another
# database.
T_SCORE_TOLERANCE = Decimal("0.3")


def reference_t_score_exact(
    site: Site, bmd: float, *, manufacturer: Manufacturer | None = None
) -> Decimal | None:
    """The unrounded NHANES III T-score of a Hologic-scale hip BMD; None for other sites or
    makers."""
    reference = REFERENCES.get(site)
    # docs/clinical-rules.md §5: the values are on the Hologic scale; no spine reference (makers
    # differ).
    if reference is None or manufacturer not in (None, Manufacturer.HOLOGIC):
        return None
    return (exact_decimal(bmd) - exact_decimal(reference.mean)) / exact_decimal(reference.sd)


def reference_t_score(
    site: Site, bmd: float, *, manufacturer: Manufacturer | None = None
) -> float | None:
    """The NHANES III T-score for a Hologic-scale hip BMD, rounded to 0.1 as a report shows it;
    None for other sites or makers."""
    exact = reference_t_score_exact(site, bmd, manufacturer=manufacturer)
    return None if exact is None else round_score(float(exact))


def t_score_consistency_warning(
    site: Site, bmd: float, reported_t: float, *, manufacturer: Manufacturer | None = None
) -> str | None:
    """A warning when a reported hip T-score is more than 0.3 from the one its BMD gives."""
    expected = reference_t_score_exact(site, bmd, manufacturer=manufacturer)
    if expected is None:
        return None
    reported = exact_decimal(round_score(reported_t))
    # docs/clinical-rules.md §5.1: the reported T (as printed, to 0.1) against the unrounded T
    # of its BMD, so that rounding the expected value never moves a case across the 0.3.
    if abs(reported - expected) <= T_SCORE_TOLERANCE:
        return None
    # Shown rounded to 0.1 as a report does, unless the two printed scores would then look
    # within 0.3 of each other: then a second decimal shows why it was flagged.
    places = 1
    if abs(reported - exact_decimal(round_score(float(expected)))) <= T_SCORE_TOLERANCE:
        places = 2
    reference = "the NHANES III reference"
    if REFERENCES[site].use_with_care:
        reference += f" for the {site_in_text(site)}, to be used with care"
    return (
        f"Reported T-score {format_score(float(reported))} does not fit BMD {format_grams(bmd)} "
        f"(expected about {format_number(float(expected), places)} on {reference}): "
        "check for a typing error or another reference database."
    )
