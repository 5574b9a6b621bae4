"""Forms for FLS episodes: opening one from a fragility fracture, then one form per step."""

import datetime

from django import forms
from django.core.exceptions import ValidationError

from patients.concurrency import EditGuardMixin
from patients.forms import DateInput, check_not_future
from patients.models import DatePrecision, DrugClass, Fracture, Mechanism
from scans.models import DexaScan

from .models import DONE_ASSESSMENTS, Closure, DxaPlan, Episode, MedicationPlan

YES_NO_SELECT = forms.NullBooleanSelect  # "Unknown / Yes / No": unknown is "not recorded"


def eligible_fractures(patient):
    """The patient's valid fragility fractures, dated to the day, with no valid episode yet."""
    return (
        Fracture.objects.valid()
        .filter(patient=patient, mechanism=Mechanism.FRAGILITY)
        .exclude(fls_episodes__entered_in_error=False)
        .order_by("-date", "-pk")
    )


class EpisodeOpenForm(forms.ModelForm):
    class Meta:
        model = Episode
        fields = ["fracture", "identified_by", "identified_on", "notes"]
        widgets = {"identified_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "fracture": "The index (sentinel) fragility fracture. Only fragility fractures "
            "without an episode are listed; add the fracture to the record first if it is "
            "missing.",
            "identified_on": "YYYY-MM-DD: the day the service learned of the fracture.",
        }

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.fields["fracture"].queryset = eligible_fractures(patient)
        self.fields["fracture"].empty_label = "Choose the index fracture"
        self.fields["fracture"].error_messages["invalid_choice"] = (
            "Choose one of this patient's fragility fractures without an episode."
        )

    def clean_fracture(self):
        fracture = self.cleaned_data["fracture"]
        # The KPIs count days from the fracture (day 84 is within 12 weeks, day 85 is not).
        if fracture.date_precision != DatePrecision.DAY:
            raise ValidationError(
                f"The {fracture} is dated to the {fracture.date_precision} only: the KPIs count "
                "days from the fracture, so edit the fracture to its exact day first.",
                "not_exact",
            )
        return fracture

    def clean_identified_on(self):
        day = self.cleaned_data["identified_on"]
        check_not_future(day, "identification date")
        return day

    def clean(self):
        cleaned = super().clean()
        fracture, day = cleaned.get("fracture"), cleaned.get("identified_on")
        if fracture and day and day < fracture.date:
            self.add_error(
                "identified_on",
                ValidationError(
                    f"The fracture was identified before it happened ({fracture.date:%Y-%m-%d}): "
                    "check the date.",
                    "before_fracture",
                ),
            )
        return cleaned

    def save(self, commit=True):
        self.instance.patient = self.patient
        return super().save(commit)


class StepForm(EditGuardMixin, forms.ModelForm):
    """One step of an episode. Dates are checked against the fracture and today."""

    title = ""
    dates: tuple[str, ...] = ()

    def _check_dates(self, cleaned):
        fracture = self.instance.fracture
        for name in self.dates:
            day = cleaned.get(name)
            if day is None:
                continue
            if day > datetime.date.today():
                self.add_error(
                    name, ValidationError("This date is in the future: check it.", "future")
                )
            elif day < fracture.date:
                self.add_error(
                    name,
                    ValidationError(
                        f"This date is before the index fracture ({fracture.date:%Y-%m-%d}): "
                        "check it.",
                        "before_fracture",
                    ),
                )

    def _require(self, cleaned, name: str, message: str) -> None:
        if cleaned.get(name) in (None, ""):
            self.add_error(name, ValidationError(message, "required"))

    def _forbid(self, cleaned, name: str, message: str) -> None:
        if cleaned.get(name) not in (None, ""):
            self.add_error(name, ValidationError(message, "not_applicable"))

    def clean(self):
        cleaned = super().clean()
        self._check_dates(cleaned)
        return cleaned


class IdentificationForm(StepForm):
    title = "Identification"
    dates = ("identified_on",)

    class Meta:
        model = Episode
        fields = ["identified_by", "identified_on", "notes"]
        widgets = {"identified_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}


class AssessmentForm(StepForm):
    title = "Assessment"
    dates = ("assessed_on",)

    class Meta:
        model = Episode
        fields = [
            "assessed_on",
            "risk_assessment",
            "falls_assessment",
            "medication_plan",
            "medication_class",
        ]
        widgets = {"assessed_on": DateInput()}
        help_texts = {
            "assessed_on": "YYYY-MM-DD: the day of the fracture-risk assessment.",
            "medication_class": "Which medication, when it is recommended.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Calcium and vitamin D alone are supplements, not anti-osteoporosis medication
        # (docs/clinical-rules.md §8).
        field = self.fields["medication_class"]
        field.choices = [c for c in field.choices if c[0] != DrugClass.CALCIUM_VITAMIN_D]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("risk_assessment") in DONE_ASSESSMENTS:
            self._require(cleaned, "assessed_on", "Enter the day of the assessment.")
        plan = cleaned.get("medication_plan")
        if plan == MedicationPlan.RECOMMENDED:
            self._require(cleaned, "medication_class", "Say which medication is recommended.")
        else:
            self._forbid(
                cleaned,
                "medication_class",
                "A medication is named only when one is recommended: clear it, or choose "
                "“Recommended”.",
            )
        return cleaned


class DxaForm(StepForm):
    title = "DXA"
    dates = ("dxa_on",)

    class Meta:
        model = Episode
        fields = ["dxa_plan", "dxa_scan", "dxa_on"]
        widgets = {"dxa_on": DateInput()}
        help_texts = {
            "dxa_scan": "A scan in this clinic's record; its date is taken as the DXA date.",
            "dxa_on": "YYYY-MM-DD, for a DXA done elsewhere (leave empty when a scan is linked).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dxa_scan"].queryset = DexaScan.objects.for_patient(
            self.instance.patient
        ).select_related("device")
        self.fields["dxa_scan"].empty_label = "No scan in this clinic"

    def clean(self):
        cleaned = super().clean()
        scan = cleaned.get("dxa_scan")
        if scan is not None:
            if cleaned.get("dxa_on") not in (None, scan.date):
                self.add_error(
                    "dxa_on",
                    ValidationError(
                        f"The linked scan is of {scan.date:%Y-%m-%d}: clear this date or "
                        "choose another scan.",
                        "scan_date",
                    ),
                )
            elif scan.date < self.instance.fracture.date:
                self.add_error(
                    "dxa_scan",
                    ValidationError(
                        "This scan is from before the index fracture: link a scan done after it.",
                        "before_fracture",
                    ),
                )
            else:
                cleaned["dxa_on"] = scan.date
        if cleaned.get("dxa_plan") == DxaPlan.NOT_RECOMMENDED and cleaned.get("dxa_on"):
            self.add_error(
                "dxa_plan",
                ValidationError(
                    "A DXA was done: choose “Recommended” (or clear the DXA).",
                    "done_not_recommended",
                ),
            )
        return cleaned


class TreatmentStartForm(StepForm):
    title = "Medication and exercise started"
    dates = ("medication_started_on", "exercise_started_on")

    class Meta:
        model = Episode
        fields = [
            "medication_started",
            "medication_started_on",
            "exercise_started",
            "exercise_started_on",
        ]
        widgets = {
            "medication_started": YES_NO_SELECT,
            "medication_started_on": DateInput(),
            "exercise_started": YES_NO_SELECT,
            "exercise_started_on": DateInput(),
        }

    def clean(self):
        cleaned = super().clean()
        for started, day, what in (
            ("medication_started", "medication_started_on", "medication"),
            ("exercise_started", "exercise_started_on", "exercise"),
        ):
            if cleaned.get(started) is True:
                self._require(cleaned, day, f"Enter the day the {what} started.")
            else:
                self._forbid(
                    cleaned,
                    day,
                    f"A start date needs “Yes” for started {what}: choose it, or clear the date.",
                )
        return cleaned


def _contact_form(point: int):
    prefix = f"contact_{point}"

    class ContactForm(StepForm):
        title = f"Contact at about {point} weeks"
        dates = (f"{prefix}_on",)
        answers = (f"{prefix}_on_medication", f"{prefix}_adherent", f"{prefix}_falls")

        class Meta:
            model = Episode
            fields = [
                f"{prefix}_made",
                f"{prefix}_on",
                f"{prefix}_by",
                f"{prefix}_on_medication",
                f"{prefix}_adherent",
                f"{prefix}_falls",
            ]
            widgets = {
                f"{prefix}_made": YES_NO_SELECT,
                f"{prefix}_on": DateInput(),
                f"{prefix}_on_medication": YES_NO_SELECT,
                f"{prefix}_adherent": YES_NO_SELECT,
                f"{prefix}_falls": YES_NO_SELECT,
            }
            help_texts = {
                f"{prefix}_made": "“No” when the patient could not be reached; "
                "“Unknown” leaves the step not recorded.",
                f"{prefix}_by": "Who made the contact.",
            }

        def clean(self):
            cleaned = super().clean()
            if cleaned.get(f"{prefix}_made") is True:
                self._require(cleaned, f"{prefix}_on", "Enter the day of the contact.")
                self._require(cleaned, f"{prefix}_by", "Say who made the contact.")
            else:
                message = "Only a contact that was made has this: choose “Yes”, or clear it."
                for name in (f"{prefix}_on", f"{prefix}_by", *self.answers):
                    self._forbid(cleaned, name, message)
            if cleaned.get(f"{prefix}_on_medication") is False:
                self._forbid(
                    cleaned,
                    f"{prefix}_adherent",
                    "Adherence applies to a patient on medication: clear it.",
                )
            return cleaned

    ContactForm.__name__ = f"Contact{point}Form"
    return ContactForm


Contact16Form = _contact_form(16)
Contact52Form = _contact_form(52)


class CloseForm(StepForm):
    title = "Close the episode"
    dates = ("closed_on",)

    class Meta:
        model = Episode
        fields = ["closed", "closed_on", "notes"]
        widgets = {"closed_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "closed": "“Open” keeps the episode on the worklist until its steps are done."
        }

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("closed") and cleaned.get("closed") != Closure.OPEN:
            self._require(cleaned, "closed_on", "Enter the day the episode was closed.")
        else:
            self._forbid(cleaned, "closed_on", "An open episode has no closing date: clear it.")
        return cleaned


STEPS = {
    "identification": IdentificationForm,
    "assessment": AssessmentForm,
    "dxa": DxaForm,
    "started": TreatmentStartForm,
    "contact-16": Contact16Form,
    "contact-52": Contact52Form,
    "close": CloseForm,
}


class PeriodForm(forms.Form):
    """The KPI page's period, by month of the index fracture."""

    MAX_MONTHS = 60
    first = forms.DateField(
        label="From (month of fracture)",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m"),
        error_messages={"invalid": "Enter a month as YYYY-MM, for example 2026-01."},
    )
    last = forms.DateField(
        label="To (month of fracture)",
        input_formats=["%Y-%m"],
        widget=forms.DateInput(attrs={"type": "month", "class": "form-control"}, format="%Y-%m"),
        error_messages={"invalid": "Enter a month as YYYY-MM, for example 2026-12."},
    )

    def full_clean(self):
        super().full_clean()
        # Bootstrap shows a field's message only next to an input marked invalid.
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {"class": "form-control is-invalid", "aria-describedby": f"id_{name}-error"}
                )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last:
            if last < first:
                self.add_error("last", ValidationError("The end is before the start.", "order"))
            elif (last.year - first.year) * 12 + last.month - first.month >= self.MAX_MONTHS:
                self.add_error(
                    "last",
                    ValidationError(
                        f"Choose at most {self.MAX_MONTHS} months at a time.", "too_long"
                    ),
                )
        return cleaned
