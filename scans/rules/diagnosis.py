"""Densitometry rules for DEXA scans, as plain typed functions on plain values.

Each rule cites its section of the project's clinical reference as "docs/clinical-rules.md §n",
where its source is given. No Django here: models, forms and views call these functions and
store what they return. Display text uses the real minus sign (−, U+2212), as a densitometry
report does.
"""

from __future__ import annotations

import calendar
import math
import re
import statistics
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MINUS = "\u2212"

# --------------------------------------------------------------------------------------------
# Vocabularies (the Django models use the same codes as TextChoices values)
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Rounding and display
# --------------------------------------------------------------------------------------------


def _round_half_away(value: float, places: int) -> float:
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
    return _round_half_away(x, 1)


def _number(value: float, places: int, *, plus: bool = False) -> str:
    rounded = _round_half_away(value, places)
    text = f"{abs(rounded):.{places}f}"
    if rounded < 0:
        return MINUS + text
    return ("+" + text) if plus and rounded > 0 else text


def format_score(x: float) -> str:
    """A T- or Z-score for display: one decimal, with a real minus sign (−2.5)."""
    return _number(round_score(x), 1)


# --------------------------------------------------------------------------------------------
# WHO categories and Z-score wording — docs/clinical-rules.md §1 and §2
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Lumbar spine vertebrae — docs/clinical-rules.md §2
# --------------------------------------------------------------------------------------------

# docs/clinical-rules.md §2 (ISCD): at least two vertebrae must remain; a single vertebra is never
# used.
MIN_VERTEBRAE = 2
_VERTEBRA_TOKEN = re.compile(r"L([1-4])(?:-L?([1-4]))?")


def parse_vertebrae(text: str) -> tuple[int, ...]:
    """The lumbar vertebrae in "L1-L4", "L1–L4", "L2-4" or "L1,L2,L4", as sorted numbers."""
    cleaned = re.sub(r"[\u2010-\u2015\u2212]", "-", text.strip().upper())
    cleaned = re.sub(r"\s*-\s*", "-", cleaned)
    tokens = [token for token in re.split(r"[,;/\s]+", cleaned) if token]
    if not tokens:
        raise ValueError("no vertebrae given")
    numbers: set[int] = set()
    for token in tokens:
        match = _VERTEBRA_TOKEN.fullmatch(token)
        if match is None:
            raise ValueError(f"{token} is not a lumbar vertebra from L1 to L4")
        first = int(match[1])
        last = int(match[2] or first)
        if last < first:
            raise ValueError(f"the range {token} runs backwards")
        numbers.update(range(first, last + 1))
    return tuple(sorted(numbers))


def vertebrae_label(vertebrae: str) -> str:
    """The vertebrae for display: "L1–L4", "L1, L2, L4"; blank means the usual L1–L4."""
    if not vertebrae.strip():
        return "L1–L4"
    try:
        numbers = parse_vertebrae(vertebrae)
    except ValueError:
        return vertebrae.strip()
    contiguous = numbers == tuple(range(numbers[0], numbers[-1] + 1))
    if len(numbers) > 1 and contiguous:
        return f"L{numbers[0]}–L{numbers[-1]}"
    return ", ".join(f"L{n}" for n in numbers)


def spine_vertebrae_warning(vertebrae: str) -> str | None:
    """A warning when the spine result rests on fewer than two vertebrae or cannot be read."""
    # Blank means "not recorded": the scanner's standard L1–L4 is assumed, no warning.
    if not vertebrae.strip():
        return None
    try:
        numbers = parse_vertebrae(vertebrae)
    except ValueError as error:
        return (
            f'The vertebrae "{vertebrae.strip()}" could not be read ({error}): '
            'write them like "L1-L4" or "L1,L2,L4".'
        )
    if len(numbers) < MIN_VERTEBRAE:
        return (
            f"Only one vertebra (L{numbers[0]}) was used: "
            "a single vertebra is never used for diagnosis."
        )
    return None


def _single_vertebra(vertebrae: str) -> bool:
    try:
        return bool(vertebrae.strip()) and len(parse_vertebrae(vertebrae)) < MIN_VERTEBRAE
    except ValueError:
        return False


# --------------------------------------------------------------------------------------------
# Diagnosis from one visit's measurements — docs/clinical-rules.md §1 and §2
# --------------------------------------------------------------------------------------------


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
            if _single_vertebra(m.vertebrae):
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


# --------------------------------------------------------------------------------------------
# Precision and least significant change — docs/clinical-rules.md §4
# --------------------------------------------------------------------------------------------

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
            places = 3 if _round_half_away(self.lsc, 4) == _round_half_away(self.lsc, 3) else 4
            text = f"RMS-SD {self.rms_sd:.3f} g/cm², LSC {_number(self.lsc, places)} g/cm²"
            if self.cv_percent is not None:
                text += f" (%CV {_number(self.cv_percent, 1)}%)"
            return text
        if self.lsc_percent is not None:
            text = f"default, not measured: LSC {_number(self.lsc_percent, 1)}%"
            if self.cv_percent is not None:
                text += f" (%CV {_number(self.cv_percent, 1)}%)"
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


def _exact(value: float) -> Decimal:
    # The shortest repr is the number as entered or stored (0.812, 5.3): exact arithmetic on it
    # keeps 0.847 − 0.880 from reading as 0.03300000000000003.
    return Decimal(repr(value))


def lsc_exact(precision: Precision, baseline_bmd: float) -> Decimal | None:
    """The LSC in g/cm², unrounded: measured as stored, or the default % of the baseline BMD."""
    # docs/clinical-rules.md §3.1: a change is compared with the LSC before any rounding.
    if precision.lsc is not None:
        return _exact(precision.lsc)
    if precision.lsc_percent is not None:
        return _exact(precision.lsc_percent) / 100 * _exact(baseline_bmd)
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
    while places < MAX_PLACES and _number(float(first), places) == _number(float(second), places):
        places += 1
    return places


# --------------------------------------------------------------------------------------------
# Standardized BMD across manufacturers — docs/clinical-rules.md §6 (use with care)
# --------------------------------------------------------------------------------------------

# docs/clinical-rules.md §6: sBMD (mg/cm²) = 1000 × (a + b × BMD). Total hip: Hanson 1997 / ICSBM;
# femoral neck: Lu 2001 (PubMed 11446558). Values are (a, b).
SBMD_HIP: dict[tuple[Site, Manufacturer], tuple[float, float]] = {
    (Site.FEMORAL_NECK, Manufacturer.HOLOGIC): (0.019, 1.087),
    (Site.FEMORAL_NECK, Manufacturer.GE_LUNAR): (-0.023, 0.939),
    (Site.FEMORAL_NECK, Manufacturer.NORLAND): (0.006, 0.985),
    (Site.TOTAL_HIP, Manufacturer.HOLOGIC): (0.006, 1.008),
    (Site.TOTAL_HIP, Manufacturer.GE_LUNAR): (-0.031, 0.979),
    (Site.TOTAL_HIP, Manufacturer.NORLAND): (0.026, 1.012),
}
# docs/clinical-rules.md §6 (Hui 1997): spine sBMD (g/cm²) = slope × (BMD − centre) + 1.0436.
SBMD_SPINE: dict[Manufacturer, tuple[float, float]] = {
    Manufacturer.HOLOGIC: (1.0550, 0.972),
    Manufacturer.GE_LUNAR: (0.9683, 1.100),
    Manufacturer.NORLAND: (0.9743, 0.969),
}
SBMD_SPINE_MEAN = 1.0436


def _standardized_g_cm2(manufacturer: Manufacturer, site: Site, bmd: float) -> float | None:
    if site == Site.LUMBAR_SPINE and manufacturer in SBMD_SPINE:
        slope, centre = SBMD_SPINE[manufacturer]
        return slope * (bmd - centre) + SBMD_SPINE_MEAN
    if (site, manufacturer) in SBMD_HIP:
        a, b = SBMD_HIP[(site, manufacturer)]
        return a + b * bmd
    return None


def standardized_bmd(manufacturer: Manufacturer, site: Site, bmd: float) -> float | None:
    """Standardized BMD in mg/cm² (one decimal), or None for the radius or another maker."""
    value = _standardized_g_cm2(manufacturer, site, bmd)
    return None if value is None else _round_half_away(1000 * value, 1)


# --------------------------------------------------------------------------------------------
# Serial change — docs/clinical-rules.md §3, §4 and §6
# --------------------------------------------------------------------------------------------

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


def _grams(value: float, *, plus: bool = False) -> str:
    return f"{_number(value, 3, plus=plus)} g/cm²"


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
        standard_before = _standardized_g_cm2(earlier.manufacturer, site, earlier.bmd)
        standard_after = _standardized_g_cm2(later.manufacturer, site, later.bmd)
        if standard_before is None or standard_after is None:
            return Change(
                delta_g_cm2=None,
                percent=None,
                years=_round_half_away(years, 2),
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

    exact_delta = _exact(after) - _exact(before)
    delta = _round_half_away(float(exact_delta), 3)
    percent = (after - before) / before * 100
    per_year = None
    if years >= MIN_YEARS_FOR_ANNUAL_RATE:
        per_year = _round_half_away(percent / years, 1)

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
        percent=_round_half_away(percent, 1),
        years=_round_half_away(years, 2),
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
        return f"{_number(float(value), places, plus=plus)} g/cm²"

    if precision.measured:
        lsc_of = f"the least significant change of {grams(lsc)} for this scanner and site"
        lsc_in = f"the least significant change ({grams(lsc)})"
    else:
        # docs/clinical-rules.md §4: a default LSC is always labelled as such.
        default = "not measured on this scanner"
        if precision.lsc_percent is not None:
            default = f"{_number(precision.lsc_percent, 1)}%, {default}"
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
        f"{what} of {grams(abs(delta))} ({_number(percent, 1, plus=True)}%) {verb} {lsc_of}."
    )
    return True, Direction.LOSS if delta < 0 else Direction.GAIN, explanation


# --------------------------------------------------------------------------------------------
# Checking a reported hip T-score — docs/clinical-rules.md §5
# --------------------------------------------------------------------------------------------


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
    return (_exact(bmd) - _exact(reference.mean)) / _exact(reference.sd)


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
    reported = _exact(round_score(reported_t))
    # docs/clinical-rules.md §5.1: the reported T (as printed, to 0.1) against the unrounded T
    # of its BMD, so that rounding the expected value never moves a case across the 0.3.
    if abs(reported - expected) <= T_SCORE_TOLERANCE:
        return None
    # Shown rounded to 0.1 as a report does, unless the two printed scores would then look
    # within 0.3 of each other: then a second decimal shows why it was flagged.
    places = 1
    if abs(reported - _exact(round_score(float(expected)))) <= T_SCORE_TOLERANCE:
        places = 2
    reference = "the NHANES III reference"
    if REFERENCES[site].use_with_care:
        reference += f" for the {site_in_text(site)}, to be used with care"
    return (
        f"Reported T-score {format_score(float(reported))} does not fit BMD {_grams(bmd)} "
        f"(expected about {_number(float(expected), places)} on {reference}): "
        "check for a typing error or another reference database."
    )


# --------------------------------------------------------------------------------------------
# Vertebral fractures — docs/clinical-rules.md §7
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Treatment thresholds and monitoring — docs/clinical-rules.md §8 (NOF/BHOF)
# --------------------------------------------------------------------------------------------

# docs/clinical-rules.md §8 (NOF/BHOF): FRAX 10-year probability thresholds, in percent.
FRAX_HIP_THRESHOLD = 3.0
FRAX_MAJOR_THRESHOLD = 20.0
# docs/clinical-rules.md §8 lists these three sites for the T-score thresholds (not the radius).
TREATMENT_SITES = DIAGNOSTIC_SITES


@dataclass(frozen=True)
class TreatmentConsideration:
    consider: bool
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    applies: bool = True  # False: the patient is read on Z-scores (docs/clinical-rules.md §8.1)


# docs/clinical-rules.md §8.1: NOF/BHOF address postmenopausal women and men aged 50 and over.
THRESHOLDS_NOT_APPLIED = (
    "The NOF/BHOF treatment thresholds apply to postmenopausal women and men aged 50 and "
    "over: they are not applied to a patient read on Z-scores."
)


def treatment_consideration(
    *,
    hip_or_vertebral_fracture: bool,
    measurements: Iterable[Measurement],
    frax_major: float | None,
    frax_hip: float | None,
    unconfirmed_vertebral_fracture: bool = False,
    basis: Basis = Basis.T_SCORE,
    frax_labels: Sequence[str] = (),
) -> TreatmentConsideration:
    """Whether the NOF/BHOF thresholds say to consider treatment, with reasons.

    docs/clinical-rules.md §8. `hip_or_vertebral_fracture` counts documented fractures only: a
    self-reported vertebral fracture that no imaging documents is a reason for VFA, not yet
    for treatment, and is noted instead (§1.1). The T-score thresholds apply at the lowest
    T-score of each treatment site, on the measurements the diagnosis may use: a
    single-vertebra spine result is never used (§2.2). For a patient read on Z-scores none of
    it applies (§8.1). `frax_labels` say how the FRAX entry stands against the scans
    (frax_context, §8.2); every use of FRAX carries them.
    """
    for name, value in (("major osteoporotic", frax_major), ("hip", frax_hip)):
        if value is not None and not (math.isfinite(value) and 0 <= value <= 100):
            raise ValueError(f"The FRAX {name} probability must be 0–100%, not {value}.")
    if basis == Basis.Z_SCORE:
        return TreatmentConsideration(
            consider=False, notes=(THRESHOLDS_NOT_APPLIED,), applies=False
        )

    reasons: list[str] = []
    notes: list[str] = []
    if hip_or_vertebral_fracture:
        reasons.append("A hip or vertebral fracture.")
    elif unconfirmed_vertebral_fracture:
        notes.append(
            f"A vertebral fracture is {NEEDS_CONFIRMATION}: once VFA or spine imaging "
            "confirms it, treatment is to be considered."
        )

    lowest: dict[Site, Measurement] = {}
    for m in measurements:
        if m.site not in TREATMENT_SITES or m.t_score is None:
            continue
        if m.site == Site.LUMBAR_SPINE and _single_vertebra(m.vertebrae):
            continue
        if m.site not in lowest or round_score(m.t_score) < round_score(lowest[m.site].t_score):
            lowest[m.site] = m

    low_bone_mass = False
    for site in TREATMENT_SITES:
        if site not in lowest:
            continue
        t = round_score(lowest[site].t_score)
        if t <= OSTEOPOROSIS_T:
            reasons.append(
                f"T-score {format_score(t)} at the {lowest[site].place} (−2.5 or below)."
            )
        elif t < NORMAL_T:
            low_bone_mass = True

    # docs/clinical-rules.md §8: with low bone mass, FRAX decides; FRAX itself is entered, never
    # computed.
    caveat = "".join(f" {label}" for label in frax_labels)
    if low_bone_mass:
        met = False
        if frax_hip is not None and frax_hip >= FRAX_HIP_THRESHOLD:
            met = True
            reasons.append(
                f"Low bone mass with a FRAX 10-year hip fracture probability of "
                f"{_number(frax_hip, 1)}% (3% or more).{caveat}"
            )
        if frax_major is not None and frax_major >= FRAX_MAJOR_THRESHOLD:
            met = True
            reasons.append(
                f"Low bone mass with a FRAX 10-year major osteoporotic fracture probability "
                f"of {_number(frax_major, 1)}% (20% or more).{caveat}"
            )
        if frax_hip is None and frax_major is None:
            notes.append(
                "FRAX not recorded: with low bone mass, treatment depends on the 10-year "
                "fracture probability."
            )
        elif not met:
            notes.append(f"FRAX below the thresholds (hip 3%, major osteoporotic 20%).{caveat}")
    return TreatmentConsideration(
        consider=bool(reasons), reasons=tuple(reasons), notes=tuple(notes)
    )


def long_date(day: date) -> str:
    """A date in words: "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def frax_context(
    *,
    frax_date: date,
    with_bmd: bool,
    latest_scan_date: date | None,
    femoral_neck_bmd_on_record: bool,
) -> tuple[str, ...]:
    """Labels for a FRAX entry that no longer reflects the record (docs/clinical-rules.md §8.2):
    older than the latest released scan, or computed without BMD while one is on record."""
    labels = []
    if latest_scan_date is not None and frax_date < latest_scan_date:
        labels.append(
            f"FRAX of {long_date(frax_date)} is older than the latest scan "
            f"({long_date(latest_scan_date)}): recalculate it with the new BMD."
        )
    # FRAX takes the femoral neck BMD; without one, FRAX without BMD is the right entry.
    if not with_bmd and femoral_neck_bmd_on_record:
        labels.append(
            "FRAX was computed without BMD although a femoral neck BMD is on record: "
            "recalculate it with the BMD."
        )
    return tuple(labels)


# --------------------------------------------------------------------------------------------
# Response to treatment — docs/clinical-rules.md §8.3 (use with care)
# --------------------------------------------------------------------------------------------

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


def add_months(start: date, months: int) -> date:
    """The same day some months later, clamped to the month's end (29 Feb → 28 Feb)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    if year > date.max.year:  # a stored date near the calendar's end: no later day exists
        return date.max
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


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
