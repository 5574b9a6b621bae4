"""Treatment thresholds (NOF/BHOF) and FRAX in context — docs/clinical-rules.md §8, §8.1 and
§8.2.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from .basics import DIAGNOSTIC_SITES, Site, format_number, format_score, long_date, round_score
from .diagnosis import NORMAL_T, OSTEOPOROSIS_T, Basis, Measurement
from .fractures import NEEDS_CONFIRMATION
from .spine import single_vertebra

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
        if m.site == Site.LUMBAR_SPINE and single_vertebra(m.vertebrae):
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
                f"{format_number(frax_hip, 1)}% (3% or more).{caveat}"
            )
        if frax_major is not None and frax_major >= FRAX_MAJOR_THRESHOLD:
            met = True
            reasons.append(
                f"Low bone mass with a FRAX 10-year major osteoporotic fracture probability "
                f"of {format_number(frax_major, 1)}% (20% or more).{caveat}"
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
