"""Symptom rules: red flags and education findings from a patient's symptom report.

Sources: the guide's "When to seek medical help" and "Compression Fractures" sections
(docs/clinical-rules.md §11 and §11.1). Plain values only, so `patients` never needs Django or
`scans` to apply them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PAIN_MIN = 0
PAIN_MAX = 10

# Shown to the patient whenever at least one red flag fires. The guide says "seek assessment";
# urgent care for severe sudden pain or an injurious fall is the usual clinical safety net.
CONTACT_CLINIC_MESSAGE = (
    "Some of what you reported should be checked by a clinician. Please contact the clinic "
    "to arrange an assessment. If the pain is severe and came on suddenly, or you have fallen "
    "and hurt yourself, seek urgent care now."
)


class PainLocation(StrEnum):
    BACK = "back"
    HIP = "hip"
    NECK_SHOULDER = "neck_shoulder"
    OTHER = "other"


def validate_pain(pain: int) -> None:
    """Raise ValueError for pain outside 0–10, TypeError for anything but a whole number."""
    # bool is an int subclass; True must not pass as a pain score of 1.
    if isinstance(pain, bool) or not isinstance(pain, int):
        raise TypeError(f"Pain must be a whole number from {PAIN_MIN} to {PAIN_MAX}.")
    if not PAIN_MIN <= pain <= PAIN_MAX:
        raise ValueError(f"Pain must be from {PAIN_MIN} to {PAIN_MAX}, not {pain}.")


@dataclass(frozen=True)
class SymptomEntry:
    pain: int  # 0–10
    locations: frozenset[PainLocation]
    sudden_onset: bool
    affects_sleep_or_daily_life: bool
    fall_since_last_report: bool
    height_loss_or_stooping: bool

    def __post_init__(self) -> None:
        validate_pain(self.pain)

    def has_pain_at(self, *locations: PainLocation) -> bool:
        """Whether the patient reports pain (above 0) at any of the given locations."""
        return self.pain > 0 and not self.locations.isdisjoint(locations)


@dataclass(frozen=True)
class RedFlag:
    code: str
    message: str


SUDDEN_BACK_PAIN = RedFlag(
    "sudden_back_pain",
    "Sudden back pain without a clear injury can be a compression fracture.",
)
PAIN_AFFECTING_SLEEP_OR_DAILY_LIFE = RedFlag(
    "pain_affecting_sleep_or_daily_life",
    "Back or hip pain that affects sleep or daily life should be assessed.",
)
FALL_OR_SUSPECTED_FRACTURE = RedFlag(
    "fall_or_suspected_fracture",
    "A fall can break a weakened bone even when the injury seems minor.",
)
HEIGHT_LOSS_OR_STOOPING = RedFlag(
    "height_loss_or_stooping",
    "Losing height or developing a stooped posture can be a sign of a spinal compression fracture.",
)
RED_FLAGS = (
    SUDDEN_BACK_PAIN,
    PAIN_AFFECTING_SLEEP_OR_DAILY_LIFE,
    FALL_OR_SUSPECTED_FRACTURE,
    HEIGHT_LOSS_OR_STOOPING,
)

# Short names of the red flags, for badges and the worklist.
RED_FLAG_LABELS = {
    "sudden_back_pain": "Sudden back pain",
    "pain_affecting_sleep_or_daily_life": "Pain affecting sleep or daily life",
    "fall_or_suspected_fracture": "Fall or suspected fracture",
    "height_loss_or_stooping": "Height loss or stooping",
}

# docs/clinical-rules.md §11.5: the order in which red flags are seen, most urgent first — a
# possible new fracture (sudden back pain, a fall) before a slow change (height loss, a stoop)
# before pain that limits sleep or daily life.
URGENCY = (
    SUDDEN_BACK_PAIN.code,
    FALL_OR_SUSPECTED_FRACTURE.code,
    HEIGHT_LOSS_OR_STOOPING.code,
    PAIN_AFFECTING_SLEEP_OR_DAILY_LIFE.code,
)


def urgency(codes) -> int | None:
    """The rank of a report's most urgent red flag (0 is the most urgent); None without one."""
    ranks = [URGENCY.index(code) for code in codes if code in URGENCY]
    return min(ranks) if ranks else None


FINDING_BACK_PAIN = "back_pain"
FINDING_POSTURAL_CHANGE = "postural_change"
FINDING_RED_FLAGS = "red_flags"
FINDINGS = frozenset({FINDING_BACK_PAIN, FINDING_POSTURAL_CHANGE, FINDING_RED_FLAGS})


def red_flags(entry: SymptomEntry) -> tuple[RedFlag, ...]:
    """Red flags raised by a symptom entry, in the guide's order."""
    flags = []
    # docs/clinical-rules.md §11; guide "When to Seek Medical Help": sudden back pain without clear
    # injury.
    if entry.sudden_onset and entry.has_pain_at(PainLocation.BACK):
        flags.append(SUDDEN_BACK_PAIN)
    # docs/clinical-rules.md §11; guide "When to Seek Medical Help": chronic back or hip pain
    # affecting sleep or daily life. Chronicity is not asked for, so any such pain counts.
    if entry.affects_sleep_or_daily_life and entry.has_pain_at(PainLocation.BACK, PainLocation.HIP):
        flags.append(PAIN_AFFECTING_SLEEP_OR_DAILY_LIFE)
    # docs/clinical-rules.md §11; guide "When to Seek Medical Help": falls or suspected minor
    # fractures.
    if entry.fall_since_last_report:
        flags.append(FALL_OR_SUSPECTED_FRACTURE)
    # docs/clinical-rules.md §11; guide "When to Seek Medical Help" (loss of height) and
    # "Compression Fractures" (height loss or stooped posture).
    if entry.height_loss_or_stooping:
        flags.append(HEIGHT_LOSS_OR_STOOPING)
    return tuple(flags)


def findings(entry: SymptomEntry) -> frozenset[str]:
    """Education finding codes for a symptom entry (see FINDINGS)."""
    codes = set()
    if entry.has_pain_at(PainLocation.BACK):
        codes.add(FINDING_BACK_PAIN)
    # Guide "Postural Changes and Muscle Imbalance": neck, shoulder and lower back discomfort;
    # "Compression Fractures": stooped posture (docs/clinical-rules.md §11).
    if entry.height_loss_or_stooping or entry.has_pain_at(PainLocation.NECK_SHOULDER):
        codes.add(FINDING_POSTURAL_CHANGE)
    if red_flags(entry):
        codes.add(FINDING_RED_FLAGS)
    return frozenset(codes)


def seek_help_reasons(*, sex: str) -> list[str]:
    """When to seek medical help, fitted to the patient (docs/clinical-rules.md §11.4)."""
    from .models import Sex

    risk = (
        "reached the menopause, or have a family history of osteoporosis, and have not been "
        "assessed"
        if sex == Sex.FEMALE
        else "a family history of osteoporosis and have not been assessed"
    )
    return [
        "sudden back pain or loss of height without a clear injury;",
        "chronic back or hip pain that affects your sleep or daily life;",
        "a fall, or a suspected minor fracture;",
        f"{risk}.",
    ]
