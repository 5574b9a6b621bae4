"""Fracture liaison episodes of the generated clinic (osteoclinic.generator).

About 3% of the generated patients had a fragility fracture in the last two years that the
service took on; its steps are filled in the way a busy service manages them: most in time,
some late, some never recorded, so that every KPI, the worklist section and data completeness
have something to show.
"""

import datetime
import random

from liaison.models import (
    Closure,
    DxaPlan,
    Episode,
    FallsAssessment,
    Identification,
    MedicationPlan,
    RiskAssessment,
)
from patients.models import DatePrecision, DrugClass, Fracture, FractureSite, Mechanism

SHARE = 0.03
SITES = (
    (FractureSite.HIP, 25),
    (FractureSite.WRIST, 35),
    (FractureSite.HUMERUS, 15),
    (FractureSite.VERTEBRAL, 20),
    (FractureSite.PELVIS, 5),
)
MEDICATIONS = (
    (DrugClass.BISPHOSPHONATE, 70),
    (DrugClass.DENOSUMAB, 20),
    (DrugClass.ANABOLIC_PTH, 6),
    (DrugClass.ROMOSOZUMAB, 4),
)
STAFF = ("FLS nurse Patel", "FLS nurse Rossi", "Dr Nakamura")


def _pick(rng: random.Random, pairs):
    items, weights = zip(*pairs, strict=True)
    return rng.choices(items, weights)[0]


def draw(mrn: str, patient, born: datetime.date, today: datetime.date):
    """(fracture, episode), not saved, for some patients; None for most.

    Its own random stream, from the MRN: the rest of the generated clinic stays as it was.
    """
    rng = random.Random(f"fls:{mrn}")
    if rng.random() >= SHARE:
        return None
    day = today - datetime.timedelta(days=rng.randint(0, 730))
    if day <= born:
        return None
    site = _pick(rng, SITES)
    fracture = Fracture(
        patient=patient,
        date=day,
        date_precision=DatePrecision.DAY,
        site=site,
        vertebral_level=rng.choice(["T12", "L1", "L2"]) if site == FractureSite.VERTEBRAL else "",
        mechanism=Mechanism.FRAGILITY,
    )
    return fracture, episode_draw(rng, patient, fracture, today)


def episode_draw(rng: random.Random, patient, fracture, today: datetime.date) -> Episode:
    """An episode (not saved) on `fracture`, its steps filled as far as `today` allows."""
    day = fracture.date
    age = (today - day).days

    def after(low: float, high: float) -> datetime.date | None:
        """A day between `low` and `high` days after the fracture, if it has come."""
        when = day + datetime.timedelta(days=round(rng.uniform(low, high)))
        return when if when <= today else None

    episode = Episode(
        patient=patient,
        fracture=fracture,
        identified_by=_pick(
            rng,
            (
                (Identification.EMERGENCY, 50),
                (Identification.WARD, 25),
                (Identification.RADIOLOGY, 15),
                (Identification.PRIMARY_CARE, 10),
            ),
        ),
        identified_on=after(0, 14) or day,
    )
    assessed = after(3, 110) if rng.random() < 0.85 else None
    if assessed:
        episode.assessed_on = assessed
        episode.risk_assessment = _pick(
            rng,
            (
                (RiskAssessment.FRAX_BMD, 50),
                (RiskAssessment.FRAX, 30),
                (RiskAssessment.CLINICAL, 20),
            ),
        )
        episode.falls_assessment = _pick(
            rng,
            (
                (FallsAssessment.DONE, 50),
                (FallsAssessment.REFERRED, 20),
                (FallsAssessment.RECOMMENDED, 10),
                (FallsAssessment.NOT_DONE, 10),
                ("", 10),
            ),
        )
        episode.dxa_plan = DxaPlan.RECOMMENDED if rng.random() < 0.85 else DxaPlan.NOT_RECOMMENDED
        if episode.dxa_plan == DxaPlan.RECOMMENDED and rng.random() < 0.8:
            episode.dxa_on = after((assessed - day).days, 130)
        if rng.random() < 0.75:
            episode.medication_plan = MedicationPlan.RECOMMENDED
            episode.medication_class = _pick(rng, MEDICATIONS)
        else:
            episode.medication_plan = MedicationPlan.NOT_RECOMMENDED
    elif age > 84 and rng.random() < 0.3:
        episode.risk_assessment = RiskAssessment.NOT_DONE
    if episode.medication_plan == MedicationPlan.RECOMMENDED and rng.random() < 0.7:
        episode.medication_started_on = after((assessed - day).days, 140)
        episode.medication_started = True if episode.medication_started_on else None
    elif age > 112 and rng.random() < 0.8:
        episode.medication_started = False
    if rng.random() < 0.5:
        episode.exercise_started_on = after(14, 130)
        episode.exercise_started = True if episode.exercise_started_on else None
    elif age > 112 and rng.random() < 0.5:
        episode.exercise_started = False
    _contact(rng, episode, 16, after(95, 125) if rng.random() < 0.8 else None, age)
    _contact(rng, episode, 52, after(350, 380) if rng.random() < 0.7 else None, age)
    if episode.contact_52_made:
        episode.closed, episode.closed_on = Closure.COMPLETED, episode.contact_52_on
    return episode


def _contact(rng, episode: Episode, weeks: int, when, age: int) -> None:
    prefix = f"contact_{weeks}"
    if when is None:
        if age > weeks * 7 + 14 and rng.random() < 0.3:
            setattr(episode, f"{prefix}_made", False)
        return
    on_medication = bool(episode.medication_started) and rng.random() < 0.85
    setattr(episode, f"{prefix}_made", True)
    setattr(episode, f"{prefix}_on", when)
    setattr(episode, f"{prefix}_by", rng.choice(STAFF))
    setattr(episode, f"{prefix}_on_medication", on_medication)
    setattr(episode, f"{prefix}_adherent", (rng.random() < 0.8) if on_medication else None)
    setattr(episode, f"{prefix}_falls", rng.random() < 0.15)
