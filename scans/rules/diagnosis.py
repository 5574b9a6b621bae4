"""WHO categories, Z-score wording and the diagnosis from one visit's measurements —
docs/clinical-rules.md §1 and §2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .basics import (
    DIAGNOSTIC_SITES,
    SIDES,
    Menopause,
    Sex,
    Site,
    format_score,
    round_score,
    site_in_text,
)
from .spine import single_vertebra, spine_vertebrae_warning, vertebrae_label

# docs/clinical-rules.md §1 (WHO 1994 as restated by ISCD, PubMed 16731428): −1.0 itself is normal
# and −2.5 itself is osteoporosis.
NORMAL_T = -1.0
OSTEOPOROSIS_T = -2.5
# docs/clinical-rules.md §2 (ISCD): Z ≤ −2.0 is below the expected range for age.
BELOW_EXPECTED_Z = -2.0
# docs/clinical-rules.md §2: premenopausal women and men under 50 are assessed on Z-scores.
Z_SCORE_AGE_LIMIT = 50


class WhoCategory(StrEnum):
    NORMAL = "normal"
    LOW_BONE_MASS = "low_bone_mass"
    OSTEOPOROSIS = "osteoporosis"
    SEVERE = "severe_osteoporosis"


# docs/clinical-rules.md §1: ISCD prefers "low bone mass"; patients know "osteopenia", so show both.
WHO_LABELS: dict[WhoCategory, str] = {
    WhoCategory.NORMAL: "Normal",
    WhoCategory.LOW_BONE_MASS: "Low bone mass (osteopenia)",
    WhoCategory.OSTEOPOROSIS: "Osteoporosis",
    WhoCategory.SEVERE: "Severe (established) osteoporosis",
}


class ZCategory(StrEnum):
    WITHIN = "within_expected"
    BELOW = "below_expected"


Z_LABELS: dict[ZCategory, str] = {
    ZCategory.WITHIN: "Within the expected range for age",
    ZCategory.BELOW: "Below the expected range for age",
}


def who_category(t_score: float, *, fragility_fracture: bool = False) -> WhoCategory:
    """The WHO category of a T-score, classified after rounding to one decimal."""
    # docs/clinical-rules.md §1.
    t = round_score(t_score)
    if t >= NORMAL_T:
        return WhoCategory.NORMAL
    if t > OSTEOPOROSIS_T:
        return WhoCategory.LOW_BONE_MASS
    # docs/clinical-rules.md §1: osteoporosis with at least one fragility fracture is severe
    # (established).
    return WhoCategory.SEVERE if fragility_fracture else WhoCategory.OSTEOPOROSIS


def who_label(category: WhoCategory) -> str:
    """The words shown for a WHO category, e.g. "Low bone mass (osteopenia)"."""
    return WHO_LABELS[WhoCategory(category)]


def z_category(z: float) -> ZCategory:
    """Whether a Z-score is below or within the expected range for age."""
    # docs/clinical-rules.md §2.
    return ZCategory.BELOW if round_score(z) <= BELOW_EXPECTED_Z else ZCategory.WITHIN


def z_label(category: ZCategory) -> str:
    """The words shown for a Z-score category, e.g. "Below the expected range for age"."""
    return Z_LABELS[ZCategory(category)]


def uses_z_scores(*, sex: Sex, age: int, menopause: Menopause) -> bool:
    """True when BMD is judged on Z-scores rather than WHO T-score categories."""
    # docs/clinical-rules.md §2 and §2.1.
    if sex == Sex.FEMALE:
        if menopause == Menopause.PRE:
            return True
        # docs/clinical-rules.md §2 (ISCD): WHO criteria may be used during the menopausal
        # transition.
        if menopause in (Menopause.PERI, Menopause.POST):
            return False
    # Men, and women whose menopausal status does not apply (e.g. after hysterectomy) or is
    # unknown: by age.
    return age < Z_SCORE_AGE_LIMIT


# The ages at which an unknown menopausal status may change the reading: around the age
# limit of the Z-score rule (a clinic's choice, docs/clinical-rules.md §2.1).
MENOPAUSE_QUESTION_AGES = (40, 60)


def menopause_unknown_note(*, sex: Sex, age: int, menopause: Menopause) -> str | None:
    """For a woman of 40–60 whose menopausal status is unknown: the rule the reading fell back
    on, and a request to record the status (docs/clinical-rules.md §2.1)."""
    youngest, oldest = MENOPAUSE_QUESTION_AGES
    if sex != Sex.FEMALE or menopause != Menopause.UNKNOWN or not youngest <= age <= oldest:
        return None
    if age < Z_SCORE_AGE_LIMIT:
        fallback = (
            f"read on Z-scores because she is under {Z_SCORE_AGE_LIMIT}, as for a "
            "premenopausal woman"
        )
    else:
        fallback = (
            f"read on T-scores (WHO categories) because she is {Z_SCORE_AGE_LIMIT} or over, "
            "as for a postmenopausal woman"
        )
    return (
        f"Menopausal status unknown: {fallback}. Record her menopausal status; "
        "the reading may change."
    )


class Basis(StrEnum):
    T_SCORE = "t_score"
    Z_SCORE = "z_score"


@dataclass(frozen=True)
class Measurement:
    site: Site
    side: str  # "left", "right" or ""
    bmd: float  # g/cm², 3 decimals
    t_score: float | None
    z_score: float | None
    vertebrae: str = ""  # lumbar spine only, e.g. "L1-L4" or "L1,L2,L4"; blank = L1–L4

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f'Side must be "left", "right" or blank, not "{self.side}".')
        if not math.isfinite(self.bmd) or self.bmd <= 0:
            raise ValueError(f"BMD must be a positive number of g/cm², not {self.bmd}.")

    def score(self, basis: Basis) -> float | None:
        """The T- or Z-score this measurement contributes on the given basis."""
        return self.t_score if basis == Basis.T_SCORE else self.z_score

    @property
    def place(self) -> str:
        """Where it was measured, in running text: "left femoral neck", "lumbar spine L1–L4"."""
        if self.site == Site.LUMBAR_SPINE:
            return f"lumbar spine {vertebrae_label(self.vertebrae)}"
        site = site_in_text(self.site)
        return f"{self.side} {site}" if self.side else site


@dataclass(frozen=True)
class Diagnosis:
    basis: Basis
    category: WhoCategory | ZCategory
    site: Site
    side: str
    score: float  # rounded to one decimal
    summary: str
    notes: tuple[str, ...] = ()
    vertebrae: str = ""

    @property
    def label(self) -> str:
        """The category in words, e.g. "Osteoporosis" or "Below the expected range for age"."""
        if self.basis == Basis.T_SCORE:
            return who_label(WhoCategory(self.category))
        return z_label(ZCategory(self.category))


def _candidates(
    measurements: Iterable[Measurement], basis: Basis, *, radius_indicated: bool
) -> tuple[list[Measurement], list[str]]:
    """The measurements a diagnosis on `basis` may use, and notes on what was left out."""
    score_name = "Z-score" if basis == Basis.Z_SCORE else "T-score"
    scored = [m for m in measurements if m.score(basis) is not None]
    notes: list[str] = []

    central: list[Measurement] = []
    for m in scored:
        if m.site not in DIAGNOSTIC_SITES:
            continue
        if m.site == Site.LUMBAR_SPINE:
            warning = spine_vertebrae_warning(m.vertebrae)
            # docs/clinical-rules.md §2 (ISCD): a single vertebra is never used, so that spine
            # result is left out; an unreadable list is kept (the scanner reported it) but flagged.
            if single_vertebra(m.vertebrae):
                notes.append(f"{warning} The lumbar spine result was left out.")
                continue
            if warning:
                notes.append(warning)
        central.append(m)

    # docs/clinical-rules.md §2 (ISCD): the 33% radius diagnoses when the hip and/or the spine
    # cannot be measured or interpreted, or when it is indicated (hyperparathyroidism, very obese
    # patients); then it joins the other sites.
    radius = [m for m in scored if m.site == Site.RADIUS_33]
    has_spine = any(m.site == Site.LUMBAR_SPINE for m in central)
    has_hip = any(m.site in (Site.FEMORAL_NECK, Site.TOTAL_HIP) for m in central)
    candidates = central
    if radius and not central:
        candidates = radius
        notes.append(f"The 33% radius was used because no hip or spine {score_name} was available.")
    elif radius and radius_indicated:
        candidates = central + radius
        notes.append(
            "The 33% radius was included because it is indicated "
            "(hyperparathyroidism or a very obese patient)."
        )
    elif radius and not (has_spine and has_hip):
        candidates = central + radius
        missing = "lumbar spine" if not has_spine else "hip"
        notes.append(
            f"The 33% radius was included because no {missing} {score_name} could be used."
        )
    return candidates, notes


_SITE_ORDER = [*DIAGNOSTIC_SITES, Site.RADIUS_33]


def _lowest(candidates: Sequence[Measurement], basis: Basis) -> Measurement:
    # docs/clinical-rules.md §2: the lowest score; both hips count, each side separately; ties by
    # site order.
    return min(candidates, key=lambda m: (round_score(m.score(basis)), _SITE_ORDER.index(m.site)))


def lowest_t_score(
    measurements: Iterable[Measurement], *, radius_indicated: bool = False
) -> float | None:
    """The lowest T-score of the sites a diagnosis may use, whatever the basis of the diagnosis.

    The VFA indications rest on T < −1.0 for everyone (docs/clinical-rules.md §7), so a patient
    read on Z-scores is judged for VFA on this T-score.
    """
    candidates, _ = _candidates(measurements, Basis.T_SCORE, radius_indicated=radius_indicated)
    if not candidates:
        return None
    return round_score(_lowest(candidates, Basis.T_SCORE).t_score)


def diagnose(
    measurements: Iterable[Measurement],
    *,
    sex: Sex,
    age: int,
    menopause: Menopause,
    fragility_fracture: bool,
    radius_indicated: bool = False,
) -> Diagnosis | None:
    """The densitometric diagnosis of one visit, on the lowest diagnostic score.

    docs/clinical-rules.md §2.

    `fragility_fracture` is a documented one (clinical or on imaging): a self-reported
    vertebral fracture never makes "severe" until confirmed (docs/clinical-rules.md §1.1).
    """
    basis = Basis.Z_SCORE if uses_z_scores(sex=sex, age=age, menopause=menopause) else Basis.T_SCORE
    score_name = "Z-score" if basis == Basis.Z_SCORE else "T-score"
    candidates, notes = _candidates(measurements, basis, radius_indicated=radius_indicated)
    if not candidates:
        return None

    lowest = _lowest(candidates, basis)
    score = round_score(lowest.score(basis))

    category: WhoCategory | ZCategory
    if basis == Basis.Z_SCORE:
        category = z_category(score)
        label = z_label(category)
        # docs/clinical-rules.md §2 (ISCD): in this group osteoporosis is not diagnosed on BMD
        # alone.
        notes.append(
            "Z-scores are used for premenopausal women and men under 50: "
            "osteoporosis is not diagnosed on BMD alone."
        )
    else:
        category = who_category(score, fragility_fracture=fragility_fracture)
        label = who_label(category)
        if sex == Sex.FEMALE and menopause == Menopause.PERI:
            notes.append("Menopausal transition: WHO categories on T-scores are used.")
    if unknown := menopause_unknown_note(sex=sex, age=age, menopause=menopause):
        notes.append(unknown)

    summary = f"{label}: lowest {score_name} {format_score(score)} at the {lowest.place}"
    if category == WhoCategory.SEVERE:
        summary += ", with a fragility fracture"
    return Diagnosis(
        basis=basis,
        category=category,
        site=lowest.site,
        side=lowest.side,
        score=score,
        summary=summary + ".",
        notes=tuple(notes),
        vertebrae=lowest.vertebrae,
    )
