"""Fracture liaison: an episode for each fragility fracture the clinic takes on, followed a year.

Each step holds "not recorded" apart from "not done": the KPIs count a missing step in data
completeness (docs/clinical-rules.md §15, KPI 11), never as a failure of care.
"""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from patients.models import (
    DrugClass,
    EnteredInError,
    EnteredInErrorQuerySet,
    Fracture,
    FractureSite,
    Patient,
)
from scans.models import DexaScan

from . import kpis, steps


class Identification(models.TextChoices):
    EMERGENCY = "emergency", "Emergency department or fracture clinic"
    WARD = "ward", "Orthopaedic or other inpatient ward"
    RADIOLOGY = "radiology", "Radiology report (e.g. vertebral fracture on imaging)"
    PRIMARY_CARE = "primary_care", "Primary care referral"
    CLINIC = "clinic", "This clinic's own records"
    SELF = "self", "Patient self-referral"
    OTHER = "other", "Other"


class RiskAssessment(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    FRAX = "frax", "FRAX without BMD"
    FRAX_BMD = "frax_bmd", "FRAX with BMD"
    OTHER_TOOL = "other_tool", "Another tool (e.g. QFracture, Garvan)"
    CLINICAL = "clinical", "Clinical assessment"
    NOT_DONE = "not_done", "Not done"


class DxaPlan(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    RECOMMENDED = "recommended", "Recommended"
    NOT_RECOMMENDED = "not_recommended", "Not recommended (e.g. treatment started without it)"


class FallsAssessment(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    DONE = "done", "Done"
    REFERRED = "referred", "Referred for falls assessment"
    RECOMMENDED = "recommended", "Recommended"
    NOT_DONE = "not_done", "Not done"


class MedicationPlan(models.TextChoices):
    NOT_RECORDED = "", "Not recorded"
    RECOMMENDED = "recommended", "Recommended"
    NOT_RECOMMENDED = "not_recommended", "Not recommended"


class Closure(models.TextChoices):
    OPEN = "", "Open"
    COMPLETED = "completed", "Follow-up completed"
    DECLINED = "declined", "Patient declined follow-up"
    DIED = "died", "Patient died"
    MOVED = "moved", "Moved away or transferred"
    LOST = "lost", "Lost to follow-up"


YES_NO = [(None, "Not recorded"), (True, "Yes"), (False, "No")]


class EpisodeQuerySet(EnteredInErrorQuerySet):
    def with_step_due(self, today: datetime.date):
        """Open episodes with a step due or late on `today` (the rule of liaison.steps)."""
        since = steps.on_worklist_from(today)
        due = (
            models.Q(risk_assessment="")
            | models.Q(dxa_plan=DxaPlan.RECOMMENDED, dxa_on__isnull=True)
            | models.Q(contact_16_made__isnull=True, fracture__date__lte=since[steps.CONTACT_16])
            | models.Q(contact_52_made__isnull=True, fracture__date__lte=since[steps.CONTACT_52])
        )
        return self.counted().filter(due, closed=Closure.OPEN)

    def counted(self):
        """Episodes that count: valid, on an index fracture that is itself valid."""
        return self.valid().filter(fracture__entered_in_error=False)

    def for_months(self, first: datetime.date, last: datetime.date):
        """Episodes whose index fracture falls from `first`'s month to `last`'s, inclusive."""
        end = (kpis.month_of(last) + datetime.timedelta(days=32)).replace(day=1)
        return self.counted().filter(
            fracture__date__gte=kpis.month_of(first), fracture__date__lt=end
        )


class Episode(EnteredInError):
    """One fragility fracture taken on by the fracture liaison service, and its year of care."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="fls_episodes")
    fracture = models.ForeignKey(
        Fracture,
        on_delete=models.PROTECT,
        related_name="fls_episodes",
        verbose_name="index fracture",
    )
    identified_by = models.CharField("identified through", max_length=16, choices=Identification)
    identified_on = models.DateField("identified on")

    # Assessment (KPI 3, 5, 6)
    assessed_on = models.DateField("assessment date", null=True, blank=True)
    risk_assessment = models.CharField(
        "fracture-risk assessment", max_length=12, choices=RiskAssessment, blank=True
    )
    falls_assessment = models.CharField(
        "falls risk assessment", max_length=12, choices=FallsAssessment, blank=True
    )
    # DXA (KPI 4)
    dxa_plan = models.CharField("DXA", max_length=16, choices=DxaPlan, blank=True)
    dxa_on = models.DateField("DXA done on", null=True, blank=True)
    dxa_scan = models.ForeignKey(
        DexaScan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fls_episodes",
        verbose_name="DXA scan",
    )
    # Medication (KPI 6, 9)
    medication_plan = models.CharField(
        "anti-osteoporosis medication", max_length=16, choices=MedicationPlan, blank=True
    )
    medication_class = models.CharField(
        "medication recommended", max_length=20, choices=DrugClass, blank=True
    )
    medication_started = models.BooleanField("medication started", null=True, blank=True)
    medication_started_on = models.DateField("medication started on", null=True, blank=True)
    # Strength and balance exercise (KPI 7)
    exercise_started = models.BooleanField(
        "strength and balance exercise started", null=True, blank=True
    )
    exercise_started_on = models.DateField("exercise started on", null=True, blank=True)
    # Contacts at about 16 weeks (KPI 8) and 52 weeks (KPI 10)
    contact_16_made = models.BooleanField("16-week contact made", null=True, blank=True)
    contact_16_on = models.DateField("16-week contact on", null=True, blank=True)
    contact_16_by = models.CharField("16-week contact by", max_length=100, blank=True)
    contact_16_on_medication = models.BooleanField("on medication", null=True, blank=True)
    contact_16_adherent = models.BooleanField("taking it as prescribed", null=True, blank=True)
    contact_16_falls = models.BooleanField("falls since the fracture", null=True, blank=True)
    contact_52_made = models.BooleanField("52-week contact made", null=True, blank=True)
    contact_52_on = models.DateField("52-week contact on", null=True, blank=True)
    contact_52_by = models.CharField("52-week contact by", max_length=100, blank=True)
    contact_52_on_medication = models.BooleanField("on medication", null=True, blank=True)
    contact_52_adherent = models.BooleanField("taking it as prescribed", null=True, blank=True)
    contact_52_falls = models.BooleanField("falls since the last contact", null=True, blank=True)

    closed = models.CharField("follow-up", max_length=12, choices=Closure, blank=True)
    closed_on = models.DateField("closed on", null=True, blank=True)
    notes = models.TextField(blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords()

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-fracture__date", "-pk"]
        verbose_name = "FLS episode"
        constraints = [
            # One episode per fracture; one marked in error may be opened again correctly.
            models.UniqueConstraint(
                fields=["fracture"],
                condition=models.Q(entered_in_error=False),
                name="fls_one_episode_per_fracture",
            ),
            models.CheckConstraint(
                condition=models.Q(medication_started=True)
                | models.Q(medication_started_on__isnull=True),
                name="fls_medication_date_only_when_started",
            ),
            models.CheckConstraint(
                condition=models.Q(exercise_started=True)
                | models.Q(exercise_started_on__isnull=True),
                name="fls_exercise_date_only_when_started",
            ),
        ]
        indexes = [models.Index(fields=["closed", "entered_in_error"], name="fls_open")]

    def __str__(self):
        return f"FLS episode: {self.fracture.site_label} fracture, {self.fracture.date_display}"

    def get_absolute_url(self):
        return reverse("liaison:episode_detail", kwargs={"pk": self.pk})

    @property
    def is_open(self) -> bool:
        return self.closed == Closure.OPEN

    def facts(self) -> kpis.Facts:
        """The plain values the KPIs read (liaison.kpis)."""
        return facts_from(
            {name: getattr(self, name) for name in FACT_FIELDS},
            fracture_date=self.fracture.date,
            fracture_site=self.fracture.site,
        )


# The episode's columns the KPIs read, fetched with .values() for a whole period at once.
FACT_FIELDS = (
    "assessed_on",
    "risk_assessment",
    "falls_assessment",
    "dxa_plan",
    "dxa_on",
    "medication_plan",
    "medication_started",
    "medication_started_on",
    "exercise_started",
    "exercise_started_on",
    "contact_16_made",
    "contact_16_on",
    "contact_52_on_medication",
)
DONE_ASSESSMENTS = {
    RiskAssessment.FRAX,
    RiskAssessment.FRAX_BMD,
    RiskAssessment.OTHER_TOOL,
    RiskAssessment.CLINICAL,
}
FALLS_MET = {FallsAssessment.DONE, FallsAssessment.REFERRED, FallsAssessment.RECOMMENDED}


def facts_from(row: dict, *, fracture_date: datetime.date, fracture_site: str) -> kpis.Facts:
    """An episode's stored values as the KPIs' plain facts."""
    done = row["risk_assessment"] in DONE_ASSESSMENTS
    return kpis.Facts(
        fracture_date=fracture_date,
        spine=fracture_site == FractureSite.VERTEBRAL,
        assessed_on=row["assessed_on"] if done else None,
        assessment_recorded=bool(row["risk_assessment"]),
        dxa_on=row["dxa_on"],
        dxa_recorded=bool(row["dxa_plan"]) or row["dxa_on"] is not None,
        falls_assessed=(row["falls_assessment"] in FALLS_MET) if row["falls_assessment"] else None,
        medication_recommended=(
            (row["medication_plan"] == MedicationPlan.RECOMMENDED)
            if row["medication_plan"]
            else None
        ),
        exercise_started_on=row["exercise_started_on"],
        exercise_recorded=row["exercise_started"] is not None,
        contacted_16_on=row["contact_16_on"] if row["contact_16_made"] else None,
        contact_16_recorded=row["contact_16_made"] is not None,
        medication_started_on=row["medication_started_on"],
        medication_start_recorded=row["medication_started"] is not None,
        on_medication_52=row["contact_52_on_medication"],
    )


def step_state(episode: "Episode") -> steps.StepState:
    """The episode's steps as the worklist rule reads them (liaison.steps)."""
    return steps.StepState(
        fracture_date=episode.fracture.date,
        open=episode.is_open and not episode.entered_in_error,
        assessment_recorded=bool(episode.risk_assessment),
        dxa_recommended=episode.dxa_plan == DxaPlan.RECOMMENDED,
        dxa_done=episode.dxa_on is not None,
        contact_16_recorded=episode.contact_16_made is not None,
        contact_52_recorded=episode.contact_52_made is not None,
    )
