"""The findings that decide which education pages a patient gets, and why.

Editors tick, per page, which findings it answers (the vocabulary below). For a patient the
findings are computed in two steps: `facts_for` gathers plain facts from the record (released
scans only: patients learn nothing from a scan a clinician has not released), and `findings`
applies the rules to those facts. `findings` is a plain function, so each rule is tested on
minimal facts without the database.

Sources: docs/clinical-rules.md §1–§2 (WHO categories on T-scores; Z-score patients get none), §3–§4
(significant loss beyond the LSC), §8 (repeat scans) and §11 (the guide: the acute phase of a
compression fracture lasts 6–8 weeks, then gentle rehabilitation).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from scans.rules.basics import Menopause, Site, format_score, site_in_text
from scans.rules.diagnosis import Basis, WhoCategory
from scans.rules.monitoring import Direction

if TYPE_CHECKING:
    from patients.models import Patient


@dataclass(frozen=True)
class Trigger:
    code: str
    label: str  # for editors choosing which findings a page answers


# Ordered from the most specific finding to the most general: when several findings lead to one
# page, the reasons are shown in this order and the first is recorded as the page's finding.
TRIGGERS: tuple[Trigger, ...] = (
    Trigger("red_flags", "Red-flag symptoms reported (sudden back pain, falls, height loss…)"),
    Trigger("vertebral_fracture_acute", "Vertebral fracture, acute phase (first 8 weeks)"),
    Trigger("vertebral_fracture_rehab", "Vertebral fracture, rehabilitation (6 weeks to 1 year)"),
    Trigger("fragility_fracture", "Any fragility (low-trauma) fracture"),
    Trigger("severe_osteoporosis", "Severe osteoporosis: T ≤ −2.5 with a fragility fracture"),
    Trigger("osteoporosis", "Osteoporosis: T-score −2.5 or below"),
    Trigger("low_bone_mass", "Low bone mass (osteopenia): T-score between −1.0 and −2.5"),
    Trigger("significant_loss", "Bone loss beyond the scanner's least significant change"),
    Trigger("back_pain", "Back pain reported"),
    Trigger("postural_change", "Postural change, stooping or neck and shoulder pain reported"),
    Trigger("on_treatment", "On bone treatment"),
    Trigger("scan_due", "Next DXA scan due within 60 days, or overdue"),
    Trigger("risk_low_calcium_vitamin_d", "Risk factor: low calcium or vitamin D intake"),
    Trigger("risk_sedentary", "Risk factor: sedentary, little weight-bearing exercise"),
    Trigger("risk_smoking", "Risk factor: smoking"),
    Trigger("risk_alcohol", "Risk factor: alcohol, 3 or more units a day"),
    Trigger("risk_caffeine", "Risk factor: excess caffeine"),
    Trigger("risk_glucocorticoids", "Risk factor: long-term glucocorticoids"),
    Trigger("risk_family_history", "Risk factor: family history of osteoporosis or hip fracture"),
    Trigger("risk_falls", "Risk factor: a fall in the last 12 months"),
    Trigger("postmenopausal", "Postmenopausal"),
)
TRIGGER_CODES: tuple[str, ...] = tuple(trigger.code for trigger in TRIGGERS)
TRIGGER_CHOICES: list[tuple[str, str]] = [(trigger.code, trigger.label) for trigger in TRIGGERS]
TRIGGER_LABELS: dict[str, str] = dict(TRIGGER_CHOICES)
_RANK = {code: index for index, code in enumerate(TRIGGER_CODES)}


def in_vocabulary_order(codes: Iterable[str]) -> list[str]:
    """Known codes, without repeats, most specific first."""
    return sorted(set(codes), key=_RANK.__getitem__)


def unknown_codes(codes: Iterable[str]) -> list[str]:
    """The codes that are not in the vocabulary, in the order given."""
    return [code for code in codes if code not in _RANK]


def validate_trigger_codes(value) -> None:
    """A page's triggers: a list of distinct codes from the vocabulary."""
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError("Triggers must be a list of finding codes.", code="not_a_list")
    unknown = unknown_codes(value)
    if unknown:
        raise ValidationError(
            "Unknown finding codes: %(codes)s. Choose from the findings listed.",
            code="unknown_trigger",
            params={"codes": ", ".join(unknown)},
        )
    if len(set(value)) != len(value):
        raise ValidationError("Each finding may be chosen once.", code="repeated_trigger")


# docs/clinical-rules.md §11 (the guide): the acute phase after a compression fracture lasts "6–8
# weeks". Both ends are used: up to 8 weeks the acute-phase pages still apply, and from 6 weeks the
# rehabilitation pages already do, so days 42 to 56 count as both (the guide gives a range, not a
# day). Rehabilitation pages stop after a year. All bounds are inclusive.
ACUTE_PHASE_DAYS = 56
REHAB_FROM_DAYS = 42
REHAB_UNTIL_DAYS = 365
# Long enough to book a scan; docs/clinical-rules.md §8 leaves the interval itself to a clinic
# setting.
SCAN_DUE_WITHIN_DAYS = 60

# Patient fields (patients.models.Patient.RISK_FACTOR_FIELDS) and what each means for the patient.
RISK_FACTORS: dict[str, tuple[str, str]] = {
    "low_calcium_vitamin_d": (
        "risk_low_calcium_vitamin_d",
        "Your record notes that you may get too little calcium or vitamin D",
    ),
    "sedentary": (
        "risk_sedentary",
        "Your record notes that you do little weight-bearing exercise",
    ),
    "smoking": ("risk_smoking", "Your record notes that you smoke"),
    "alcohol": (
        "risk_alcohol",
        "Your record notes that you drink 3 or more units of alcohol a day",
    ),
    "excess_caffeine": ("risk_caffeine", "Your record notes that you have a lot of caffeine"),
    "glucocorticoids": (
        "risk_glucocorticoids",
        "Your record notes that you take steroid (glucocorticoid) medicine long-term",
    ),
    "family_history": (
        "risk_family_history",
        "Your record notes a family history of osteoporosis or hip fracture",
    ),
    "falls_last_year": ("risk_falls", "Your record notes a fall in the last 12 months"),
}

SYMPTOM_REASONS: dict[str, str] = {
    "red_flags": "Something you reported should be checked by your clinic team",
    "back_pain": "You reported back pain",
    "postural_change": "You reported a change in your posture or height, or neck or shoulder pain",
}

_CATEGORY_FINDINGS = {
    WhoCategory.LOW_BONE_MASS: ("low_bone_mass", "in the low bone mass (osteopenia) range"),
    WhoCategory.OSTEOPOROSIS: ("osteoporosis", "in the osteoporosis range"),
    WhoCategory.SEVERE: (
        "severe_osteoporosis",
        "in the osteoporosis range, and you have had a fracture from a minor fall or strain",
    ),
}


# --- Facts: plain values gathered from the record ------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """The diagnosis of the latest released scan."""

    date: datetime.date
    basis: str  # scans.rules.diagnosis.Basis: "t_score" or "z_score"
    category: str  # a scans.rules.diagnosis.WhoCategory or ZCategory value
    score: float
    place: str  # "lumbar spine", "left femoral neck"


@dataclass(frozen=True)
class BoneLoss:
    """A change of the latest scan judged a loss beyond the LSC (docs/clinical-rules.md §3)."""

    place: str
    percent: float  # negative: the change from the earlier scan, as reported
    earlier: datetime.date
    later: datetime.date


@dataclass(frozen=True)
class FractureFact:
    date: datetime.date  # for a month or year only, a day within it
    date_display: str  # "20 October 2026", "October 2026" or "2026"
    exact_day: bool
    site: str  # patients.models.FractureSite value
    vertebral_level: str
    mechanism: str  # patients.models.Mechanism value


@dataclass(frozen=True)
class PatientFacts:
    latest_scan: ScanResult | None = None
    losses: tuple[BoneLoss, ...] = ()
    fractures: tuple[FractureFact, ...] = ()  # valid fractures only
    risk_factors: frozenset[str] = frozenset()  # Patient risk-factor field names that are set
    menopause: str = "not_applicable"
    next_scan_due: datetime.date | None = None
    on_treatment: bool = False
    # Codes from patients.symptoms.findings (back_pain, postural_change, red_flags).
    symptom_findings: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Finding:
    code: str
    reason: str  # plain words for the patient, one sentence without its full stop
    # What the reason is about, when several findings can be about one thing (a fracture can
    # be both acute and a fragility fracture): a page tells the patient about it once.
    about: str = ""


# --- Rules ------------------------------------------------------------------------------------


def long_date(day: datetime.date) -> str:
    """A date as patients read it: "3 March 2026"."""
    return f"{day.day} {day:%B %Y}"


def findings(facts: PatientFacts, today: datetime.date) -> list[Finding]:
    """The patient's findings with the reason for each, most specific first."""
    found: list[Finding] = []
    found += _scan_findings(facts)
    found += _fracture_findings(facts.fractures, today)
    for code in facts.symptom_findings:
        if code in SYMPTOM_REASONS:
            found.append(Finding(code, SYMPTOM_REASONS[code]))
    for name in sorted(facts.risk_factors):
        if name in RISK_FACTORS:
            found.append(Finding(*RISK_FACTORS[name]))
    if facts.menopause == Menopause.POST:
        found.append(Finding("postmenopausal", "You have been through the menopause"))
    if facts.on_treatment:
        found.append(Finding("on_treatment", "You are taking a treatment for your bones"))
    if facts.next_scan_due is not None:
        due = facts.next_scan_due
        if due < today:
            found.append(
                Finding("scan_due", f"Your next bone density scan was due on {long_date(due)}")
            )
        elif (due - today).days <= SCAN_DUE_WITHIN_DAYS:
            found.append(
                Finding("scan_due", f"Your next bone density scan is due on {long_date(due)}")
            )
    return sorted(found, key=lambda finding: _RANK[finding.code])


def _scan_findings(facts: PatientFacts) -> list[Finding]:
    found = []
    scan = facts.latest_scan
    # docs/clinical-rules.md §2: Z-score patients (premenopausal women, men under 50) get no WHO
    # category.
    if scan is not None and scan.basis == Basis.T_SCORE and scan.category in _CATEGORY_FINDINGS:
        code, words = _CATEGORY_FINDINGS[WhoCategory(scan.category)]
        reason = (
            f"Your scan on {long_date(scan.date)} showed a T-score of "
            f"{format_score(scan.score)} at the {scan.place}, {words}"
        )
        found.append(Finding(code, reason))
    if facts.losses:
        # The largest loss speaks for the others.
        loss = min(facts.losses, key=lambda loss: loss.percent)
        reason = (
            f"Your bone density at the {loss.place} fell by "
            f"{abs(loss.percent):.1f}% between {long_date(loss.earlier)} and "
            f"{long_date(loss.later)}, more than the scanner's normal variation"
        )
        found.append(Finding("significant_loss", reason))
    return found


def _fracture_findings(fractures: Iterable[FractureFact], today: datetime.date) -> list[Finding]:
    found = []
    # Newest first, and fractures dated in the future (a typing error) are not counted.
    past = sorted((f for f in fractures if f.date <= today), key=lambda f: f.date, reverse=True)
    vertebral = [f for f in past if f.site == "vertebral" and f.mechanism != "high_trauma"]
    acute = next((f for f in vertebral if (today - f.date).days <= ACUTE_PHASE_DAYS), None)
    if acute is not None:
        found.append(
            Finding(
                "vertebral_fracture_acute",
                f"You had {_a_site(acute)} {_on(acute)}: the first 8 weeks are the acute phase",
                about=_about(acute),
            )
        )
    rehab = next(
        (f for f in vertebral if REHAB_FROM_DAYS <= (today - f.date).days <= REHAB_UNTIL_DAYS),
        None,
    )
    if rehab is not None:
        found.append(
            Finding(
                "vertebral_fracture_rehab",
                f"You had {_a_site(rehab)} {_on(rehab)}: after the first 6 weeks, "
                "gentle guided exercise helps you recover",
                about=_about(rehab),
            )
        )
    # docs/clinical-rules.md §1: a fragility fracture is a low-trauma one; high-trauma or unknown
    # never count.
    fragility = next((f for f in past if f.mechanism == "fragility"), None)
    if fragility is not None:
        found.append(
            Finding(
                "fragility_fracture",
                f"You had {_a_site(fragility)} {_on(fragility)} from a minor fall or strain",
                about=_about(fragility),
            )
        )
    return found


# Fracture sites (patients.models.FractureSite) as patients say them.
PATIENT_SITE_WORDS = {
    "hip": "hip",
    "wrist": "wrist",
    "humerus": "upper arm",
    "pelvis": "pelvis",
    "rib": "rib",
}


def _vertebral(fracture: FractureFact) -> str:
    return f"vertebral ({fracture.vertebral_level})" if fracture.vertebral_level else "vertebral"


def _a_site(fracture: FractureFact) -> str:
    """ "a wrist fracture", "a vertebral (L1) fracture", "a fracture"."""
    if fracture.site == "vertebral":
        return f"a {_vertebral(fracture)} fracture"
    if fracture.site in PATIENT_SITE_WORDS:
        return f"a {PATIENT_SITE_WORDS[fracture.site]} fracture"
    return "a fracture"


def _about(fracture: FractureFact) -> str:
    return f"fracture {fracture.date.isoformat()} {fracture.site} {fracture.vertebral_level}"


def _on(fracture: FractureFact) -> str:
    return f"{'on' if fracture.exact_day else 'in'} {fracture.date_display}"


# --- Facts from the database ---------------------------------------------------------------


# Symptom reports count for education while they are recent.
SYMPTOM_WINDOW_DAYS = 90


def symptom_findings_for(patient: Patient, today: datetime.date) -> frozenset[str]:
    """Finding codes (back pain, postural change, red flags) of the recent diary entries."""
    from patients import symptoms as symptom_rules
    from patients.models import SymptomReport

    since = today - datetime.timedelta(days=SYMPTOM_WINDOW_DAYS)
    reports = SymptomReport.objects.valid().filter(patient=patient, reported_at__date__gte=since)
    codes: set[str] = set()
    for report in reports:
        codes |= symptom_rules.findings(report.entry())
    return frozenset(codes)


def facts_for(
    patient: Patient,
    today: datetime.date,
    *,
    symptom_findings: frozenset[str] | None = None,
) -> PatientFacts:
    """The plain facts about `patient` that the rules need, from released scans only."""
    # Imported here: migrations import this module for the vocabulary, and must not load the
    # clinical models through it.
    from patients.models import DatePrecision
    from scans.interpretation import load_record, read_patient
    from scans.models import DexaScan

    records = load_record(patient, released_only=True)
    reading = records["reading"]
    if today != datetime.date.today():
        # load_record reads "today"; the records are loaded, so re-reading costs no query.
        reading = read_patient(
            patient,
            scans=records["scans"],
            fractures=records["fractures"],
            treatments=records["treatments"],
            heights=records["heights"],
            frax_entries=records["frax_entries"],
            studies=records["studies"],
            today=today,
        )

    latest_scan = None
    losses = []
    next_due = reading.next_due
    if reading.latest is not None:
        latest = reading.latest
        diagnosis = latest.diagnosis
        if diagnosis is not None:
            latest_scan = ScanResult(
                date=latest.scan.date,
                basis=str(diagnosis.basis),
                category=str(diagnosis.category),
                score=diagnosis.score,
                place=_place(diagnosis.site, diagnosis.side),
            )
        for change in latest.changes:
            m = change.measurement
            for earlier, judged in (
                (change.previous_date, change.previous),
                (change.baseline_date, change.baseline),
            ):
                if judged is not None and judged.direction == Direction.LOSS:
                    losses.append(
                        BoneLoss(
                            place=_place(m.site, m.side),
                            percent=judged.percent,
                            earlier=earlier,
                            later=latest.scan.date,
                        )
                    )
        # A scan done after the latest released one is waiting for review: the patient has
        # been scanned and must not be told a scan is due.
        newer = DexaScan.objects.for_patient(patient).filter(date__gt=latest.scan.date)
        if next_due is not None and newer.exists():
            next_due = None

    return PatientFacts(
        latest_scan=latest_scan,
        losses=tuple(losses),
        fractures=tuple(
            FractureFact(
                date=f.date,
                date_display=f.date_display,
                exact_day=f.date_precision == DatePrecision.DAY,
                site=f.site,
                vertebral_level=f.vertebral_level,
                mechanism=f.mechanism,
            )
            for f in records["fractures"]
        ),
        risk_factors=frozenset(
            name for name in patient.RISK_FACTOR_FIELDS if getattr(patient, name)
        ),
        menopause=patient.menopause,
        next_scan_due=next_due,
        on_treatment=reading.on_treatment,
        symptom_findings=(
            symptom_findings
            if symptom_findings is not None
            else symptom_findings_for(patient, today)
        ),
    )


def _place(site: str, side: str) -> str:
    # The patient reads "the lumbar spine", not the vertebrae used.
    if site == Site.LUMBAR_SPINE:
        return "lumbar spine"
    where = site_in_text(Site(site))
    return f"{side} {where}" if side else where
