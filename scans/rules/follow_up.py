"""After a diagnosis: the response to treatment and when the next scan is due —
docs/clinical-rules.md §8.3 and §8.4.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .basics import add_months, long_date

# IOF working group on treatment failure (Diez-Perez et al., Osteoporos Int 2012;23:2769):
# response is judged once treatment has had 12 months to act. One source, simplified: use with
# care, and say so wherever it is shown.
RESPONSE_AFTER_MONTHS = 12
RESPONSE_SOURCE = "IOF working group, Diez-Perez et al., Osteoporos Int 2012;23:2769"


@dataclass(frozen=True)
class Event:
    """Something dated that may speak against a treatment: a significant loss, a fracture."""

    date: date
    text: str  # e.g. "significant loss at the total hip since 3 March 2024"


@dataclass(frozen=True)
class TreatmentResponse:
    review: bool
    started: date  # the start of the treatment judged
    judged_from: date  # 12 months later
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    source: str = RESPONSE_SOURCE


def months_between(start: date, end: date) -> int:
    """Whole months from `start` to `end` (0 when `end` is earlier)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def treatment_response(
    *,
    therapy_start: date,
    today: date,
    significant_losses: Iterable[Event],
    fragility_fractures: Iterable[Event],
) -> TreatmentResponse:
    """Whether a patient on treatment needs their response reviewed (docs/clinical-rules.md
    §8.3): a significant BMD loss at any site, or a new fragility fracture, after at least 12
    months of treatment."""
    judged_from = add_months(therapy_start, RESPONSE_AFTER_MONTHS)
    reasons = []
    for event in sorted((*significant_losses, *fragility_fractures), key=lambda e: e.date):
        if event.date < judged_from:
            continue
        months = months_between(therapy_start, event.date)
        reasons.append(
            f"{long_date(event.date)}: {event.text}, after {months} months of treatment."
        )
    notes = []
    if today < judged_from:
        notes.append(
            f"On treatment since {long_date(therapy_start)}: response is judged from "
            f"{long_date(judged_from)}, after {RESPONSE_AFTER_MONTHS} months."
        )
    return TreatmentResponse(
        review=bool(reasons),
        started=therapy_start,
        judged_from=judged_from,
        reasons=tuple(reasons),
        notes=tuple(notes),
    )


@dataclass(frozen=True)
class ScanIntervals:
    """Months until the next DXA: a clinic setting (docs/clinical-rules.md §8)."""

    untreated_months: int = 24  # docs/clinical-rules.md §8.4: a clinic choice, no source sets it
    on_treatment_months: int = (
        24  # docs/clinical-rules.md §8: every 1–2 years on therapy (use with care)
    )
    glucocorticoid_months: int = 12  # docs/clinical-rules.md §8: one year is common practice


DEFAULT_INTERVALS = ScanIntervals()


def next_scan_due(
    last_scan: date,
    *,
    on_treatment: bool,
    glucocorticoids: bool,
    intervals: ScanIntervals = DEFAULT_INTERVALS,
) -> date:
    """When the next DXA is due; long-term glucocorticoids take the shortest interval."""
    if glucocorticoids:
        months = intervals.glucocorticoid_months
    elif on_treatment:
        months = intervals.on_treatment_months
    else:
        months = intervals.untreated_months
    return add_months(last_scan, months)
