"""Stature rules: historical and prospective height loss as VFA triggers.

See docs/clinical-rules.md §7.1.

Plain values only, so `patients` never needs Django or `scans`: the T-score half of the VFA
indication is applied where scans are known.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter

# docs/clinical-rules.md §7: ISCD 2013/2019 VFA indication, with T < −1.0.
VFA_HISTORICAL_LOSS_CM = 4.0
# docs/clinical-rules.md §7: the older (2007) prospective trigger, shown as a prompt and not applied
# as a rule.
PROSPECTIVE_PROMPT_LOSS_CM = 2.0


@dataclass(frozen=True)
class Height:
    date: datetime.date
    cm: float
    measured: bool  # False = self-reported (e.g. "tallest height as a young adult")

    def __post_init__(self) -> None:
        if not math.isfinite(self.cm) or self.cm <= 0:
            raise ValueError(f"Height must be a positive number of centimetres, not {self.cm}.")


@dataclass(frozen=True)
class HeightLoss:
    tallest_cm: float | None
    current_cm: float | None
    historical_loss_cm: float | None  # tallest recorded minus the latest measured height
    prospective_loss_cm: float | None  # greatest earlier measured minus the latest measured
    vfa_historical_trigger: bool  # historical loss > 4 cm
    prospective_prompt: bool  # prospective loss > 2 cm
    messages: tuple[str, ...]


def _loss_cm(earlier_cm: float, later_cm: float) -> float:
    # Decimal on the entered values avoids float artefacts such as 164.3 - 160.3 = 4.0000000003,
    # which would cross the strict 4 cm boundary while reading "4.0 cm". A gain is no loss.
    loss = Decimal(repr(earlier_cm)) - Decimal(repr(later_cm))
    return max(0.0, float(loss.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)))


def height_loss(heights: Sequence[Height]) -> HeightLoss:
    """Historical and prospective height loss, with the VFA trigger and prompt."""
    # docs/clinical-rules.md §7.1.
    # Stable sort: of several heights on one date, the last given counts as the latest.
    ordered = sorted(heights, key=attrgetter("date"))
    measured = [h for h in ordered if h.measured]
    # A self-reported height is never the current height: only a measurement is.
    current = measured[-1] if measured else None
    tallest = max(ordered, key=attrgetter("cm"), default=None)

    historical = None
    if current is not None and len(ordered) > 1:
        historical = _loss_cm(tallest.cm, current.cm)

    prospective = None
    peak = None
    if current is not None:
        # Prospective loss is over time, so only measurements on earlier dates count.
        earlier = [h for h in measured if h.date < current.date]
        peak = max(earlier, key=attrgetter("cm"), default=None)
        if peak is not None:
            prospective = _loss_cm(peak.cm, current.cm)

    vfa_trigger = historical is not None and historical > VFA_HISTORICAL_LOSS_CM
    prompt = prospective is not None and prospective > PROSPECTIVE_PROMPT_LOSS_CM

    messages = []
    if current is None:
        messages.append(
            "No measured height on record: height loss cannot be assessed "
            "(a self-reported height is never the current height)."
        )
    elif historical is None:
        messages.append(
            f"Only one height on record ({current.cm:.1f} cm measured {current.date:%Y-%m-%d}): "
            "record the tallest height as a young adult to assess historical height loss."
        )
    if historical is not None:
        verdict = (
            "above 4 cm, a VFA indication when T < −1.0."
            if vfa_trigger
            else "not above 4 cm, no VFA indication from height loss."
        )
        messages.append(
            f"Historical height loss {historical:.1f} cm "
            f"(tallest {tallest.cm:.1f} cm, now {current.cm:.1f} cm): {verdict}"
        )
    if prospective is not None:
        verdict = (
            "above 2 cm, a prompt to consider VFA (2007 trigger, not a rule)."
            if prompt
            else "not above 2 cm."
        )
        messages.append(
            f"Prospective height loss {prospective:.1f} cm between measurements "
            f"({peak.cm:.1f} cm on {peak.date:%Y-%m-%d}, "
            f"now {current.cm:.1f} cm on {current.date:%Y-%m-%d}): {verdict}"
        )

    return HeightLoss(
        tallest_cm=tallest.cm if tallest is not None else None,
        current_cm=current.cm if current is not None else None,
        historical_loss_cm=historical,
        prospective_loss_cm=prospective,
        vfa_historical_trigger=vfa_trigger,
        prospective_prompt=prompt,
        messages=tuple(messages),
    )
