"""The patient: identity, menopausal status and the risk factors of the guide."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from simple_history.models import HistoricalRecords


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"


class Menopause(models.TextChoices):
    PRE = "pre", "Premenopausal"
    PERI = "peri", "Perimenopausal"
    POST = "post", "Postmenopausal"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class PatientQuerySet(models.QuerySet):
    def search(self, text: str):
        text = (text or "").strip()
        if not text:
            return self
        query = models.Q(mrn__iexact=text)
        for word in text.split():
            query |= models.Q(family_name__icontains=word) | models.Q(given_name__icontains=word)
        return self.filter(query)


class Patient(models.Model):
    mrn = models.CharField(
        "MRN",
        max_length=32,
        help_text="Medical record number, unique in the clinic (letters, digits, dashes).",
    )
    family_name = models.CharField(max_length=100)
    given_name = models.CharField(max_length=100)
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

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
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
        return reverse("patients:detail", kwargs={"pk": self.pk})

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
