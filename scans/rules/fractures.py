"""Fractures by how they were found, vertebral fracture grades and the VFA indication —
docs/clinical-rules.md §1.1 and §7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from .basics import Sex, format_score, round_score
from .diagnosis import NORMAL_T


class Detection(StrEnum):
    """How a fracture became known."""

    CLINICAL = "clinical"
    IMAGING = "imaging"
    SELF_REPORTED = "self_reported"


# docs/clinical-rules.md §1.1: what the record says of a fracture that no one has documented.
NEEDS_CONFIRMATION = "self-reported, needs confirmation"


def fracture_documented(detection: Detection) -> bool:
    """Whether a fracture is documented (clinically or on imaging), not only self-reported.

    Only a documented fragility fracture makes "severe (established) osteoporosis" and sets
    the fracture threshold of treatment; a self-reported vertebral fracture is a VFA
    indication until confirmed (docs/clinical-rules.md §1.1).
    """
    return Detection(detection) != Detection.SELF_REPORTED


GENANT_LABELS: dict[int, str] = {
    0: "Grade 0 (normal)",
    1: "Grade 1 (mild)",
    2: "Grade 2 (moderate)",
    3: "Grade 3 (severe)",
}
# docs/clinical-rules.md §7 (ISCD 2013/2019): VFA ages, and the height losses in cm.
VFA_AGE = {Sex.FEMALE: 70, Sex.MALE: 80}
VFA_HISTORICAL_LOSS_CM = Decimal("4")
VFA_PROSPECTIVE_PROMPT_CM = Decimal("2")


def genant_grade(height_reduction_percent: float) -> int:
    """The Genant semiquantitative grade (0–3) for a vertebral height reduction in percent."""
    if not (math.isfinite(height_reduction_percent) and 0 <= height_reduction_percent <= 100):
        raise ValueError(
            f"Height reduction must be a percentage from 0 to 100, not {height_reduction_percent}."
        )
    # docs/clinical-rules.md §7 (Genant): grade 0 is below 20%, so 20% is mild; the 25% and 40%
    # boundaries belong to the lower grade (25% is mild, 40% moderate), a documented choice.
    if height_reduction_percent < 20:
        return 0
    if height_reduction_percent <= 25:
        return 1
    if height_reduction_percent <= 40:
        return 2
    return 3


@dataclass(frozen=True)
class VfaIndication:
    indicated: bool
    reasons: tuple[str, ...] = ()
    prompts: tuple[str, ...] = ()


def _cm(value: float) -> Decimal:
    # Decimal on the entered value, so that 4.0 cm is exactly 4 and not above it.
    return Decimal(repr(value))


def vfa_indication(
    *,
    lowest_t: float | None,
    sex: Sex,
    age: int,
    historical_height_loss_cm: float | None,
    prospective_height_loss_cm: float | None,
    self_reported_vertebral_fracture: bool,
    glucocorticoids: bool,
    glucocorticoid_dose_unknown: bool = False,
    diagnosis_on_z_scores: bool = False,
) -> VfaIndication:
    """Whether vertebral fracture assessment is indicated, with reasons (docs/clinical-rules.md §7).

    `lowest_t` is the lowest T-score whatever the basis of the diagnosis (lowest_t_score): a
    patient read on Z-scores is judged for VFA on T-scores too (docs/clinical-rules.md §7.2).
    Long-term glucocorticoids with no dose recorded cannot meet the 5 mg/day criterion, nor
    be ruled out: that is a prompt to record the dose, never a guessed indication.
    """
    # docs/clinical-rules.md §7 (ISCD 2013/2019): every indication needs T < −1.0 first.
    if lowest_t is None or round_score(lowest_t) >= NORMAL_T:
        return VfaIndication(indicated=False)

    criteria: list[str] = []
    if age >= VFA_AGE[sex]:
        who = "Woman" if sex == Sex.FEMALE else "Man"
        criteria.append(f"{who} aged {age} ({VFA_AGE[sex]} or over).")
    if (
        historical_height_loss_cm is not None
        and _cm(historical_height_loss_cm) > VFA_HISTORICAL_LOSS_CM
    ):
        criteria.append(
            f"Historical height loss of {historical_height_loss_cm:.1f} cm (over 4 cm)."
        )
    if self_reported_vertebral_fracture:
        criteria.append("Self-reported vertebral fracture, not documented (needs confirmation).")
    if glucocorticoids:
        criteria.append(
            "Glucocorticoids, 5 mg/day prednisone-equivalent or more for 3 months or more."
        )

    # docs/clinical-rules.md §7: the 2007 prospective trigger, which also required low T, is a
    # prompt only.
    prompts: list[str] = []
    if glucocorticoid_dose_unknown and not glucocorticoids:
        prompts.append(
            "Long-term glucocorticoids with no dose recorded: VFA is indicated at 5 mg/day "
            "prednisone-equivalent or more for 3 months or more. Record the dose."
        )
    if (
        prospective_height_loss_cm is not None
        and _cm(prospective_height_loss_cm) > VFA_PROSPECTIVE_PROMPT_CM
    ):
        prompts.append(
            f"Prospective height loss of {prospective_height_loss_cm:.1f} cm (over 2 cm): "
            "consider VFA (an older, 2007 ISCD trigger, not a current indication)."
        )

    reasons = ()
    if criteria:
        first = f"T-score {format_score(lowest_t)} is below −1.0"
        if diagnosis_on_z_scores:
            first += " (VFA is judged on T-scores, though the diagnosis is read on Z-scores)"
        reasons = (first + ".", *criteria)
    return VfaIndication(indicated=bool(criteria), reasons=reasons, prompts=tuple(prompts))
