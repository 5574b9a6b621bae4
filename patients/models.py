"""The patient: identity, menopausal status and the risk factors of the guide."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .authorship import AuthoredHistory
from .symptoms import RED_FLAG_LABELS, PainLocation, SymptomEntry, red_flags, urgency
from .validators import visible_characters


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class Menopause(models.TextChoices):
    PRE = "pre", "Premenopausal"
    PERI = "peri", "Perimenopausal"
    POST = "post", "Postmenopausal"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    # Not recorded: a woman of 40–60 is flagged until it is (docs/clinical-rules.md §2.1).
    # Imports before this value stored "not applicable" for a missing status; those cannot
    # be told apart from a real "not applicable" and are left as they are.
    UNKNOWN = "unknown", "Unknown"


class PatientQuerySet(models.QuerySet):
    # A name search uses the first few words only: enough for "Anna Maria de Souza", and a
    # pasted paragraph cannot build a query the database refuses.
    SEARCH_WORDS = 6

    def search(self, text: str):
        """By MRN, by any word of the names, and by date of birth typed as YYYY-MM-DD; a date
        beside names narrows them ("Fischer 1950-03-02")."""
        text = (text or "").strip()[:200]
        if not text:
            return self
        words = list(dict.fromkeys(text.split()))[: self.SEARCH_WORDS]
        births = [day for day in map(_iso_date, words) if day is not None]
        names = models.Q()
        for word in (word for word in words if _iso_date(word) is None):
            names |= models.Q(family_name__icontains=word) | models.Q(given_name__icontains=word)
        if births:
            names = models.Q(date_of_birth__in=births) & names
        return self.filter(models.Q(mrn__iexact=text) | names)


def _iso_date(word: str) -> datetime.date | None:
    if len(word) != 10 or word[4] != "-" or word[7] != "-":
        return None
    try:
        return datetime.date.fromisoformat(word)
    except ValueError:
        return None


class Patient(models.Model):
    mrn = models.CharField(
        "MRN",
        max_length=32,
        help_text="Medical record number, unique in the clinic (letters, digits, dashes).",
        validators=[visible_characters],
    )
    family_name = models.CharField(max_length=100, validators=[visible_characters])
    given_name = models.CharField(max_length=100, validators=[visible_characters])
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    menopause = models.CharField(
        "menopausal status",
        max_length=20,
        choices=Menopause.choices,
        default=Menopause.NOT_APPLICABLE,
    )
    email = models.EmailField(blank=True, help_text="Used to send the portal invitation.")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
        verbose_name="portal user",
    )
    clinician_notes = models.TextField(
        blank=True, help_text="Seen by clinicians only, never in the patient portal."
    )

    # Risk factors named by the guide (section 2); age and menopause come from the record.
    low_calcium_vitamin_d = models.BooleanField("low calcium or vitamin D intake", default=False)
    sedentary = models.BooleanField("sedentary, little weight-bearing exercise", default=False)
    smoking = models.BooleanField("current smoker", default=False)
    alcohol = models.BooleanField("alcohol 3 or more units a day", default=False)
    excess_caffeine = models.BooleanField("excess caffeine", default=False)
    glucocorticoids = models.BooleanField(
        "long-term glucocorticoids (3 months or more)", default=False
    )
    glucocorticoid_dose_mg = models.DecimalField(
        "glucocorticoid dose (mg/day prednisolone-equivalent)",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
    )
    family_history = models.BooleanField(
        "family history of osteoporosis or hip fracture", default=False
    )
    falls_last_year = models.BooleanField("fall in the last 12 months", default=False)
    # docs/clinical-rules.md §2: the 33% radius is used for diagnosis in these patients.
    forearm_indicated = models.BooleanField(
        "forearm (33% radius) indicated: hyperparathyroidism or very obese", default=False
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        # The patient list's default order, so a page is read from the index without a sort.
        indexes = [
            models.Index(fields=["family_name", "given_name", "mrn"], name="patient_by_name")
        ]
        constraints = [
            models.UniqueConstraint(Upper("mrn"), name="patient_mrn_unique_ci"),
            models.CheckConstraint(condition=~models.Q(mrn=""), name="patient_mrn_not_empty"),
            models.CheckConstraint(
                condition=models.Q(glucocorticoid_dose_mg__isnull=True)
                | models.Q(glucocorticoid_dose_mg__gt=0, glucocorticoid_dose_mg__lte=1000),
                name="patient_glucocorticoid_dose_range",
            ),
        ]

    def __str__(self):
        return f"{self.family_name}, {self.given_name} ({self.mrn})"

    def save(self, *args, **kwargs):
        # MRNs are compared without case or surrounding spaces everywhere.
        self.mrn = self.mrn.strip().upper()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("patient_record", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(datetime.date.today())

    RISK_FACTOR_FIELDS = (
        "low_calcium_vitamin_d",
        "sedentary",
        "smoking",
        "alcohol",
        "excess_caffeine",
        "glucocorticoids",
        "family_history",
        "falls_last_year",
    )

    def risk_factors(self) -> list[str]:
        """The guide's risk factors present, as their labels."""
        return [
            str(self._meta.get_field(name).verbose_name)
            for name in self.RISK_FACTOR_FIELDS
            if getattr(self, name)
        ]


class EnteredInErrorQuerySet(models.QuerySet):
    def valid(self):
        """Records that count: everything not marked "entered in error"."""
        return self.filter(entered_in_error=False)


class EnteredInError(models.Model):
    """A clinical record is never deleted from the pages: a mistake is marked, with a reason."""

    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True
        constraints = []

    def mark_entered_in_error(self, reason: str) -> None:
        self.entered_in_error = True
        self.error_reason = reason.strip()
        fields = ["entered_in_error", "error_reason"]
        if hasattr(self, "updated_at"):
            fields.append("updated_at")  # an edit form opened before this sees the change
        self.save(update_fields=fields)


class DatePrecision(models.TextChoices):
    DAY = "day", "Exact day"
    MONTH = "month", "Month only"
    YEAR = "year", "Year only"


class FractureSite(models.TextChoices):
    VERTEBRAL = "vertebral", "Vertebral"
    HIP = "hip", "Hip"
    WRIST = "wrist", "Wrist / distal radius"
    HUMERUS = "humerus", "Humerus"
    PELVIS = "pelvis", "Pelvis"
    RIB = "rib", "Rib"
    OTHER = "other", "Other"


VERTEBRAL_LEVELS = [f"T{n}" for n in range(4, 13)] + [f"L{n}" for n in range(1, 6)]


class Mechanism(models.TextChoices):
    FRAGILITY = "fragility", "Fragility (low trauma)"
    HIGH_TRAUMA = "high_trauma", "High trauma"
    UNKNOWN = "unknown", "Unknown"


class Detection(models.TextChoices):
    CLINICAL = "clinical", "Clinical (symptomatic)"
    IMAGING = "imaging", "Found on imaging"
    # docs/clinical-rules.md §7: a self-reported but undocumented vertebral fracture is a VFA
    # indication.
    SELF_REPORTED = "self_reported", "Self-reported, not documented"


class GenantGrade(models.IntegerChoices):
    # docs/clinical-rules.md §7: Genant semiquantitative grade; boundaries belong to the lower
    # grade.
    MILD = 1, "Grade 1 – mild (20% to 25% height loss)"
    MODERATE = 2, "Grade 2 – moderate (over 25% to 40%)"
    SEVERE = 3, "Grade 3 – severe (over 40%)"


class Fracture(EnteredInError):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="fractures")
    date = models.DateField(help_text="For month or year precision, any day in that period.")
    date_precision = models.CharField(
        max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    site = models.CharField(max_length=12, choices=FractureSite.choices)
    vertebral_level = models.CharField(
        max_length=3,
        blank=True,
        choices=[(level, level) for level in VERTEBRAL_LEVELS],
        help_text="For vertebral fractures: T4 to L5.",
    )
    mechanism = models.CharField(max_length=12, choices=Mechanism.choices)
    genant_grade = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=GenantGrade.choices, help_text="Vertebral fractures only."
    )
    detection = models.CharField(
        max_length=16, choices=Detection.choices, default=Detection.CLINICAL
    )
    brace = models.BooleanField("brace prescribed", default=False)
    notes = models.TextField(blank=True)
    # The version an edit form opened (patients.concurrency).
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = EnteredInErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(site=FractureSite.VERTEBRAL)
                | models.Q(vertebral_level="", genant_grade__isnull=True),
                name="fracture_level_and_grade_only_vertebral",
            ),
            models.CheckConstraint(
                condition=~models.Q(site=FractureSite.VERTEBRAL) | ~models.Q(vertebral_level=""),
                name="fracture_vertebral_has_level",
            ),
            models.CheckConstraint(
                condition=models.Q(genant_grade__isnull=True)
                | models.Q(genant_grade__gte=1, genant_grade__lte=3),
                name="fracture_genant_grade_1_to_3",
            ),
        ]
        # The worklist's vertebral fractures in the acute and rehabilitation weeks.
        indexes = [models.Index(fields=["site", "date"], name="fracture_by_site_date")]

    def __str__(self):
        return f"{self.site_label} fracture, {self.date_display}"

    @property
    def site_label(self) -> str:
        if self.site == FractureSite.VERTEBRAL and self.vertebral_level:
            return f"{self.vertebral_level} vertebral"
        return self.get_site_display()

    @property
    def date_display(self) -> str:
        if self.date_precision == DatePrecision.YEAR:
            return f"{self.date:%Y}"
        if self.date_precision == DatePrecision.MONTH:
            return f"{self.date:%B %Y}"
        return f"{self.date:%-d %B %Y}"

    @property
    def is_fragility(self) -> bool:
        return self.mechanism == Mechanism.FRAGILITY


class HeightMeasurement(EnteredInError):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="heights")
    date = models.DateField()
    cm = models.DecimalField("height (cm)", max_digits=4, decimal_places=1)
    measured = models.BooleanField(
        default=True,
        help_text="Untick for a self-reported height, such as the tallest as a young adult.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = EnteredInErrorQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cm__gte=50, cm__lte=250), name="height_cm_50_to_250"
            ),
        ]

    def __str__(self):
        kind = "measured" if self.measured else "self-reported"
        return f"{self.cm} cm ({kind}) on {self.date:%Y-%m-%d}"


class DrugClass(models.TextChoices):
    BISPHOSPHONATE = "bisphosphonate", "Bisphosphonate"
    DENOSUMAB = "denosumab", "Denosumab"
    ANABOLIC_PTH = "pth_analogue", "Teriparatide / abaloparatide"
    ROMOSOZUMAB = "romosozumab", "Romosozumab"
    RALOXIFENE = "raloxifene", "Raloxifene"
    HORMONE_THERAPY = "hormone_therapy", "Hormone therapy"
    CALCIUM_VITAMIN_D = "calcium_vitamin_d", "Calcium / vitamin D"
    OTHER = "other", "Other"


class TreatmentQuerySet(EnteredInErrorQuerySet):
    def active_on(self, day: datetime.date):
        return self.valid().filter(
            models.Q(stop__isnull=True) | models.Q(stop__gte=day), start__lte=day
        )


class Treatment(EnteredInError):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatments")
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices)
    name = models.CharField(
        "drug name",
        max_length=100,
        help_text="For example: alendronate.",
        validators=[visible_characters],
    )
    start = models.DateField()
    stop = models.DateField(null=True, blank=True, help_text="Leave empty while ongoing.")
    reason_stopped = models.CharField(
        max_length=200, blank=True, help_text="For example: drug holiday, side effects."
    )
    notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = TreatmentQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stop__isnull=True) | models.Q(stop__gte=models.F("start")),
                name="treatment_stop_not_before_start",
            ),
        ]

    def __str__(self):
        end = f"{self.stop:%Y-%m-%d}" if self.stop else "ongoing"
        return f"{self.name} ({self.get_drug_class_display()}), {self.start:%Y-%m-%d} – {end}"

    @property
    def is_bone_therapy(self) -> bool:
        # Calcium and vitamin D alone are supplements, not osteoporosis therapy
        # (docs/clinical-rules.md §8).
        return self.drug_class != DrugClass.CALCIUM_VITAMIN_D


class ReportSource(models.TextChoices):
    PATIENT = "patient", "Patient (portal)"
    CLINICIAN = "clinician", "Clinician on the patient's behalf"
    CAREGIVER = "caregiver", "Caregiver on the patient's behalf (portal)"


class SymptomReportQuerySet(EnteredInErrorQuerySet):
    def unacknowledged_red_flags(self):
        return self.valid().exclude(red_flags=[]).filter(acknowledged_at__isnull=True)

    def most_urgent_first(self):
        """docs/clinical-rules.md §11.5: by the most urgent red flag, then newest first."""
        return self.order_by(
            models.F("red_flag_urgency").asc(nulls_last=True), "-reported_at", "-pk"
        )


class SymptomReport(EnteredInError):
    """A symptom diary entry; red flags (the guide's "when to seek help") await a clinician."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="symptom_reports")
    reported_at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=10, choices=ReportSource.choices)
    # Who typed the entry: the patient, a clinician or a caregiver (source says which).
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    pain = models.PositiveSmallIntegerField("pain (0 = none, 10 = worst imaginable)")
    pain_back = models.BooleanField("back", default=False)
    pain_hip = models.BooleanField("hip", default=False)
    pain_neck_shoulder = models.BooleanField("neck or shoulder", default=False)
    pain_other = models.BooleanField("somewhere else", default=False)
    sudden_onset = models.BooleanField("the pain started suddenly", default=False)
    affects_sleep_or_daily_life = models.BooleanField(
        "the pain affects my sleep or daily life", default=False
    )
    fall_since_last_report = models.BooleanField("I have fallen since my last entry", default=False)
    height_loss_or_stooping = models.BooleanField(
        "I have noticed height loss or a stoop", default=False
    )
    note = models.TextField("anything else", blank=True)
    red_flags = models.JSONField(default=list, blank=True, editable=False)
    # The rank of the most urgent red flag (patients.symptoms.URGENCY), for ordering.
    red_flag_urgency = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledgement_note = models.TextField(
        "note on acknowledging",
        blank=True,
        help_text="Optional: what was done, for example “phoned, X-ray booked”.",
    )
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = SymptomReportQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pain__gte=0, pain__lte=10), name="symptom_pain_0_to_10"
            ),
        ]
        indexes = [
            models.Index(fields=["acknowledged_at"]),
            # The worklist's red flags awaiting a clinician, most urgent first.
            models.Index(
                "red_flag_urgency",
                models.F("reported_at").desc(),
                models.F("id").desc(),
                condition=models.Q(entered_in_error=False, acknowledged_at__isnull=True),
                name="symptom_unacknowledged",
            ),
        ]

    def __str__(self):
        return f"Symptoms {self.reported_at:%Y-%m-%d}: pain {self.pain}/10"

    LOCATION_FIELDS = {
        "back": "pain_back",
        "hip": "pain_hip",
        "neck_shoulder": "pain_neck_shoulder",
        "other": "pain_other",
    }

    def raise_red_flags(self) -> None:
        """Store the red flags of the entry (docs/clinical-rules.md §11.1) and their urgency."""
        self.red_flags = [flag.code for flag in red_flags(self.entry())]
        self.red_flag_urgency = urgency(self.red_flags)

    def entry(self):
        """The plain-values form the symptom rules read (patients.symptoms)."""
        return SymptomEntry(
            pain=self.pain,
            locations=frozenset(
                PainLocation(code)
                for code, field in self.LOCATION_FIELDS.items()
                if getattr(self, field)
            ),
            sudden_onset=self.sudden_onset,
            affects_sleep_or_daily_life=self.affects_sleep_or_daily_life,
            fall_since_last_report=self.fall_since_last_report,
            height_loss_or_stooping=self.height_loss_or_stooping,
        )

    @property
    def locations_display(self) -> str:
        labels = [
            str(self._meta.get_field(field).verbose_name)
            for field in self.LOCATION_FIELDS.values()
            if getattr(self, field)
        ]
        return ", ".join(labels) or "—"

    @property
    def red_flag_labels(self) -> list[str]:
        return [RED_FLAG_LABELS.get(code, code) for code in self.red_flags]

    @property
    def needs_attention(self) -> bool:
        return bool(self.red_flags) and self.acknowledged_at is None


class GrantChannel(models.TextChoices):
    PATIENT = "patient", "Invited by the patient in the portal"
    CLINICIAN = "clinician", "Invited by a clinician, with the patient's consent"


class CaregiverGrantQuerySet(models.QuerySet):
    def open(self):
        """Grants not revoked: invitations waiting and access held."""
        return self.filter(revoked_at__isnull=True)

    def active(self):
        """Grants that let a caregiver see the patient's portal now."""
        return self.open().filter(caregiver__isnull=False, caregiver__is_active=True)


class CaregiverGrant(models.Model):
    """A patient's consent that a caregiver sees their portal; revoked, never deleted."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="caregiver_grants")
    name = models.CharField("caregiver's name", max_length=200, validators=[visible_characters])
    email = models.EmailField("caregiver's email", help_text="The invitation is sent here.")
    relationship = models.CharField(
        max_length=100,
        blank=True,
        help_text="For example: daughter, husband, friend.",
        validators=[visible_characters],
    )
    channel = models.CharField("invited", max_length=10, choices=GrantChannel.choices)
    consent_note = models.CharField(
        "how the patient gave consent",
        max_length=300,
        blank=True,
        help_text="For a clinician's invitation: when and how the patient agreed.",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_by_name = models.CharField("invited by", max_length=300, blank=True)
    # When the latest invitation was sent: a link sent before it no longer works.
    invited_at = models.DateTimeField(default=timezone.now)
    caregiver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="caregiver_grants",
        verbose_name="caregiver's account",
    )
    caregiver_username = models.CharField("caregiver's account", max_length=150, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too, like every author: it outlives the account.
    revoked_by_name = models.CharField("revoked by", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The history names the people as text (above), which outlives their accounts.
    history = HistoricalRecords(
        bases=[AuthoredHistory], excluded_fields=["invited_by", "caregiver", "revoked_by"]
    )

    objects = CaregiverGrantQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One open invitation or grant per person: a second is sent on the same grant.
            models.UniqueConstraint(
                "patient",
                Lower("email"),
                condition=models.Q(revoked_at__isnull=True),
                name="caregiver_grant_one_open_per_email",
            ),
            models.UniqueConstraint(
                fields=["patient", "caregiver"],
                condition=models.Q(revoked_at__isnull=True, caregiver__isnull=False),
                name="caregiver_grant_one_open_per_account",
            ),
        ]

    def __str__(self):
        relationship = f", {self.relationship}" if self.relationship else ""
        return f"Caregiver access: {self.name}{relationship} <{self.email}> ({self.state_label})"

    @property
    def is_active(self) -> bool:
        return (
            self.revoked_at is None and self.caregiver_id is not None and self.caregiver.is_active
        )

    @property
    def state_label(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.caregiver_id is None:
            return "invited, not yet accepted"
        return "active"

    @property
    def invitation_expired(self) -> bool:
        """A waiting invitation whose link no longer works (PORTAL_INVITATION_DAYS)."""
        if self.revoked_at is not None or self.caregiver_id is not None:
            return False
        lifetime = datetime.timedelta(days=settings.PORTAL_INVITATION_DAYS)
        return timezone.now() - self.invited_at > lifetime


class AccessAction(models.TextChoices):
    RECORD = "record", "Record page"
    SCAN = "scan", "Scan page"
    CHART = "chart", "Chart"
    SUMMARY = "summary", "Printable summary"
    HISTORY = "history", "Change history"
    EXPORT = "export", "Export"
    PORTAL = "portal", "Portal"
    FORM = "form", "Form or change"
    CAREGIVERS = "caregivers", "Caregiver access"
    DIARY = "diary", "Symptom diary"
    EDUCATION = "education", "Education page"
    ADMIN = "admin", "Administration page"
    MESSAGES = "messages", "Messages"


class AccessOutcome(models.TextChoices):
    SHOWN = "shown", "Shown"
    # A signed-in user asked for a patient's URL and was answered "not found" or "forbidden".
    REFUSED = "refused", "Refused"


class AccessLogEntry(models.Model):
    """Who looked at which patient's data, what, when and from where (never edited)."""

    at = models.DateTimeField(default=timezone.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Kept as text too: the entry must still say who it was if the account is removed.
    username = models.CharField(max_length=150)
    user_full_name = models.CharField("name", max_length=300, blank=True)
    role = models.CharField(max_length=20)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="access_log")
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    outcome = models.CharField(
        max_length=10, choices=AccessOutcome.choices, default=AccessOutcome.SHOWN
    )
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = "access log entry"
        verbose_name_plural = "access log"
        indexes = [models.Index(fields=["patient", "-at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.patient_id}"


class Submission(models.Model):
    """A create form's one-time token, claimed by the request that saved it (a double submit
    finds it taken and goes to what the first request made: patients.submissions)."""

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Where the first request sent its user: the record it made, or the page that shows it.
    location = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self):
        return f"{self.token[:8]}… → {self.location}"


class ReleaseRule(models.TextChoices):
    """When a scan's results reach the portal (docs/clinical-rules.md §16.1)."""

    REVIEW = "review", "After a clinician has reviewed and released them"
    AT_ONCE = "at_once", "At once, when the results are final"
    AFTER_DAYS = "after_days", "A set number of days after the results are final"


class ClinicDetails(models.Model):
    """The clinic's one record: how patients reach it, and its rule for releasing results.

    Edited by a superuser in the admin; shown on every portal page and with every red flag.
    """

    ONLY_ID = 1

    name = models.CharField(max_length=200, default="The bone health clinic")
    phone = models.CharField(max_length=50, blank=True)
    email = models.EmailField(blank=True)
    address = models.TextField(blank=True)
    hours = models.TextField("opening hours", blank=True)
    emergency = models.TextField(
        "in an emergency",
        default="Call your local emergency number, or go to the nearest emergency department.",
        help_text="What a patient should do when the clinic cannot help in time.",
    )
    release_rule = models.CharField(
        "release of results to the portal",
        max_length=12,
        choices=ReleaseRule.choices,
        default=ReleaseRule.REVIEW,
    )
    release_after_days = models.PositiveSmallIntegerField(
        "days after final",
        default=7,
        help_text="With the rule “a set number of days after final”: how many days, unless a "
        "clinician holds the result with a reason.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    class Meta:
        verbose_name = "clinic details"
        verbose_name_plural = "clinic details"
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="clinic_details_one_row"),
            models.CheckConstraint(
                condition=models.Q(release_after_days__lte=365),
                name="clinic_release_days_at_most_a_year",
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = self.ONLY_ID
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "ClinicDetails":
        """The clinic's record; its defaults, not yet saved, until a superuser saves it (reading
        it never writes, so a page that only shows it changes nothing)."""
        return cls.objects.filter(pk=cls.ONLY_ID).first() or cls(pk=cls.ONLY_ID)

    @property
    def how_to_contact(self) -> str:
        """One sentence: how to reach the clinic."""
        ways = [
            f"phone {self.phone}" if self.phone else "",
            f"email {self.email}" if self.email else "",
        ]
        ways = [way for way in ways if way]
        if not ways:
            return f"Contact {self.name}, or send a message from the portal."
        return f"Contact {self.name}: " + " or ".join(ways) + ", or send a message from the portal."

    @property
    def release_sentence(self) -> str:
        """When results appear in the portal under this clinic's rule, for patients."""
        if self.release_rule == ReleaseRule.AT_ONCE:
            return "Your results appear here as soon as they are final."
        if self.release_rule == ReleaseRule.AFTER_DAYS:
            days = self.release_after_days
            return (
                f"Your results appear here {days} day{'s' if days != 1 else ''} after they are "
                "final, sooner once a clinician has reviewed them, or later if a clinician holds "
                "them to talk them through with you first."
            )
        return "Your results appear here once a clinician has reviewed them."


class NotificationPreferences(models.Model):
    """Which emails a patient wants; every kind is on until they turn it off."""

    patient = models.OneToOneField(
        Patient, on_delete=models.PROTECT, related_name="notification_preferences"
    )
    result_released = models.BooleanField("a new result is ready", default=True)
    scan_due = models.BooleanField("my next scan is due soon", default=True)
    message = models.BooleanField("the clinic has written to me", default=True)
    red_flag_seen = models.BooleanField("a clinician has seen symptoms I reported", default=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    KINDS = ("result_released", "scan_due", "message", "red_flag_seen")

    class Meta:
        verbose_name_plural = "notification preferences"

    def __str__(self):
        return f"Email preferences of {self.patient}"


class MessageSender(models.TextChoices):
    PATIENT = "patient", "Patient"
    CLINIC = "clinic", "Clinic"


class SecureMessageQuerySet(models.QuerySet):
    def from_patients(self):
        return self.filter(sender=MessageSender.PATIENT)

    def open(self):
        """Patients' messages the clinic has not marked done."""
        return self.from_patients().filter(done_at__isnull=True)


class SecureMessage(models.Model):
    """A message between a patient and the clinic: part of the record, never deleted.

    `author` is the user who wrote it (and `author_name` their name as text): for a patient's
    message, the patient's own account, or someone writing on the patient's behalf.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="messages")
    sender = models.CharField(max_length=10, choices=MessageSender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField("written by", max_length=300)
    subject = models.CharField(max_length=200, validators=[visible_characters])
    body = models.TextField("message")
    sent_at = models.DateTimeField(default=timezone.now)
    # Read by the other side: clinicians for a patient's message, the patient for the clinic's.
    read_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = SecureMessageQuerySet.as_manager()

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [
            # The worklist's open messages from patients, oldest first.
            models.Index(
                fields=["sent_at", "id"],
                condition=models.Q(sender="patient", done_at__isnull=True),
                name="message_open_from_patient",
            ),
            models.Index(fields=["patient", "sent_at"], name="message_by_patient"),
        ]

    def __str__(self):
        return f"Message of {self.sent_at:%Y-%m-%d %H:%M} from the {self.sender}: {self.subject}"

    @property
    def on_behalf(self) -> bool:
        """Written for the patient by someone else's account."""
        return self.sender == MessageSender.PATIENT and self.author_id != self.patient.user_id


class NotificationSent(models.Model):
    """A notification sent about one thing (a scan due on a date): never sent twice for it."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    event = models.CharField(max_length=30)
    about = models.CharField(max_length=100)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "event", "about"], name="notification_once_per_subject"
            )
        ]

    def __str__(self):
        return f"{self.event} about {self.about} to patient {self.patient_id}"
