"""Forms for a patient's record: identity and risk factors, fractures, heights, treatments."""

import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .concurrency import EditGuardMixin
from .dates import DateBoundsMixin
from .models import (
    CaregiverGrant,
    Fracture,
    FractureSite,
    HeightMeasurement,
    Mechanism,
    Menopause,
    NotificationPreferences,
    Patient,
    SecureMessage,
    Sex,
    SymptomReport,
    Treatment,
)
from .numbers import ReportNumberField
from .submissions import OnceMixin

EARLIEST_BIRTH = datetime.date(1900, 1, 1)
DOSE_MAX_MG = Decimal("1000")
HEIGHT_MIN_CM, HEIGHT_MAX_CM = Decimal("50"), Decimal("250")
HEIGHT_RANGE_MESSAGE = (
    "Enter a height between 50 and 250 cm, to one decimal (centimetres, not inches or metres)."
)


class DateInput(forms.DateInput):
    """A date typed and shown as YYYY-MM-DD, the same on every browser and phone.

    A browser's date picker shows the date in the browser's locale (mm/dd/yyyy in an American
    one), which contradicts the help text; a text field with the pattern keeps them alike.
    """

    input_type = "text"
    PATTERN = r"\d{4}-\d{2}-\d{2}"

    def __init__(self, attrs=None):
        attrs = {
            "placeholder": "YYYY-MM-DD",
            "pattern": self.PATTERN,
            "title": "A date as YYYY-MM-DD, for example 2024-03-01",
            "autocomplete": "off",
            "size": 10,
            **(attrs or {}),
        }
        super().__init__(attrs, format="%Y-%m-%d")


def check_not_future(day: datetime.date, what: str) -> None:
    if day > timezone.localdate():
        raise ValidationError(f"The {what} is in the future: check the date.", "future")


def check_not_before_birth(day: datetime.date, patient: Patient, what: str) -> None:
    if day < patient.date_of_birth:
        raise ValidationError(
            f"The {what} is before the patient's date of birth "
            f"({patient.date_of_birth:%Y-%m-%d}): check the year.",
            "before_birth",
        )


class PatientForm(DateBoundsMixin, OnceMixin, EditGuardMixin, forms.ModelForm):
    past_dates = ("date_of_birth",)
    mrn = forms.CharField(
        label="MRN",
        max_length=32,
        help_text=Patient._meta.get_field("mrn").help_text,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9-]+$",
                "Use letters, digits and dashes only in the MRN.",
                code="invalid_mrn",
            )
        ],
    )

    class Meta:
        model = Patient
        fields = [
            "mrn",
            "family_name",
            "given_name",
            "date_of_birth",
            "sex",
            "menopause",
            "email",
            "low_calcium_vitamin_d",
            "sedentary",
            "smoking",
            "alcohol",
            "excess_caffeine",
            "glucocorticoids",
            "glucocorticoid_dose_mg",
            "family_history",
            "falls_last_year",
            "forearm_indicated",
            "clinician_notes",
        ]
        widgets = {
            "date_of_birth": DateInput(),
            "clinician_notes": forms.Textarea(attrs={"rows": 3}),
        }
        field_classes = {"glucocorticoid_dose_mg": ReportNumberField}
        labels = {"clinician_notes": "Clinician notes (not shown to the patient)"}
        help_texts = {
            "menopause": "For a male patient, choose “Not applicable”.",
            "glucocorticoid_dose_mg": "Only with long-term glucocorticoids ticked; "
            "leave empty if not known.",
        }

    def clean_mrn(self):
        # The database compares MRNs without case; say who holds the MRN before it refuses.
        mrn = self.cleaned_data["mrn"].strip()
        holder = Patient.objects.filter(mrn__iexact=mrn).exclude(pk=self.instance.pk).first()
        if holder is not None:
            raise ValidationError(
                f"MRN {mrn} is already used by {holder.family_name}, {holder.given_name}.",
                "duplicate",
            )
        return mrn

    def clean_date_of_birth(self):
        born = self.cleaned_data["date_of_birth"]
        check_not_future(born, "date of birth")
        if born < EARLIEST_BIRTH:
            raise ValidationError(
                "The date of birth is before 1900: check the year.", "before_1900"
            )
        if self.instance.pk:
            self._check_records_after(born)
        return born

    def _check_records_after(self, born):
        # Every dated record of the patient must follow the birth (the database holds scans
        # to it; the form says which record clashes rather than failing at save).
        dated = [
            (f"a fracture on {f.date:%Y-%m-%d}", f.date)
            for f in self.instance.fractures.valid().filter(date__lt=born)[:1]
        ] + [
            # Scans are another app's records, reached through the relation it declares.
            (f"a scan on {day:%Y-%m-%d}", day)
            for day in self.instance.scans.filter(date__lt=born).values_list("date", flat=True)[:1]
        ]
        if dated:
            what, _day = min(dated, key=lambda item: item[1])
            raise ValidationError(
                f"The record has {what}, before this date of birth: check the date.",
                "after_records",
            )

    def clean_glucocorticoid_dose_mg(self):
        dose = self.cleaned_data["glucocorticoid_dose_mg"]
        if dose is not None and not (0 < dose <= DOSE_MAX_MG):
            raise ValidationError(
                "Enter a daily dose above 0 and at most 1000 mg, or leave it empty.", "range"
            )
        return dose

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("glucocorticoid_dose_mg") is not None and not cleaned.get("glucocorticoids"):
            self.add_error(
                "glucocorticoid_dose_mg",
                ValidationError(
                    "A dose needs “long-term glucocorticoids” ticked: tick it, or clear the dose.",
                    "dose_without_glucocorticoids",
                ),
            )
        if cleaned.get("sex") == Sex.MALE and cleaned.get("menopause") not in (
            None,
            Menopause.NOT_APPLICABLE,
        ):
            self.add_error(
                "menopause",
                ValidationError(
                    "Menopausal status does not apply to a male patient: choose “Not applicable”.",
                    "male_menopause",
                ),
            )
        return cleaned


class PatientRecordForm(DateBoundsMixin, OnceMixin, EditGuardMixin, forms.ModelForm):
    """A record that belongs to a patient: the view sets `instance.patient` before binding."""

    @property
    def patient(self) -> Patient:
        return self.instance.patient


class FractureForm(PatientRecordForm):
    past_dates = ("date",)

    class Meta:
        model = Fracture
        fields = [
            "date",
            "date_precision",
            "site",
            "vertebral_level",
            "genant_grade",
            "mechanism",
            "detection",
            "brace",
            "notes",
        ]
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        labels = {"date": "Date of fracture", "date_precision": "How exact is the date?"}
        help_texts = {
            "date": "YYYY-MM-DD. When only the month or the year is known, enter any day in it "
            "(for example the 1st) and say so below.",
            "date_precision": "“Month only” shows the date as, say, March 2021; “Year only” as "
            "2021. The day entered is then not shown.",
            "vertebral_level": "Vertebral fractures only, and required for them: T4 to L5.",
            "genant_grade": "Vertebral fractures only (Genant semiquantitative grade); "
            "leave empty if not graded. A loss exactly at a boundary takes the lower grade: "
            "25% is grade 1, 40% is grade 2.",
        }

    def clean_date(self):
        day = self.cleaned_data["date"]
        check_not_future(day, "fracture date")
        check_not_before_birth(day, self.patient, "fracture date")
        return day

    def clean(self):
        cleaned = super().clean()
        site = cleaned.get("site")
        if site == FractureSite.VERTEBRAL:
            if not cleaned.get("vertebral_level"):
                self.add_error(
                    "vertebral_level",
                    ValidationError(
                        "Choose the level (T4 to L5) of the vertebral fracture.", "level_required"
                    ),
                )
        elif site:
            if cleaned.get("vertebral_level"):
                self.add_error(
                    "vertebral_level",
                    ValidationError(
                        "Only a vertebral fracture has a level: clear it, or choose the "
                        "vertebral site.",
                        "level_not_vertebral",
                    ),
                )
            if cleaned.get("genant_grade") is not None:
                self.add_error(
                    "genant_grade",
                    ValidationError(
                        "Only a vertebral fracture has a Genant grade: clear it, or choose the "
                        "vertebral site.",
                        "grade_not_vertebral",
                    ),
                )
        return cleaned


class HeightForm(PatientRecordForm):
    past_dates = ("date",)

    class Meta:
        model = HeightMeasurement
        fields = ["date", "cm", "measured"]
        widgets = {"date": DateInput()}
        field_classes = {"cm": ReportNumberField}
        labels = {"measured": "Measured in clinic"}
        help_texts = {"cm": "In centimetres, to one decimal: for example 162.5."}
        error_messages = {
            "cm": {
                "max_digits": HEIGHT_RANGE_MESSAGE,
                "max_whole_digits": HEIGHT_RANGE_MESSAGE,
                "max_decimal_places": HEIGHT_RANGE_MESSAGE,
            }
        }

    def clean_date(self):
        day = self.cleaned_data["date"]
        check_not_future(day, "date of the height")
        check_not_before_birth(day, self.patient, "date of the height")
        return day

    def clean_cm(self):
        cm = self.cleaned_data["cm"]
        if not (HEIGHT_MIN_CM <= cm <= HEIGHT_MAX_CM):
            raise ValidationError(HEIGHT_RANGE_MESSAGE, "range")
        return cm


class TreatmentForm(PatientRecordForm):
    # A stop date may be planned (a drug holiday from next month).
    planned_dates = ("start", "stop")

    class Meta:
        model = Treatment
        fields = ["drug_class", "name", "start", "stop", "reason_stopped", "notes"]
        widgets = {
            "start": DateInput(),
            "stop": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {"drug_class": "Class", "start": "Start date", "stop": "Stop date"}

    def clean_start(self):
        start = self.cleaned_data["start"]
        check_not_before_birth(start, self.patient, "start date")
        return start

    def clean(self):
        cleaned = super().clean()
        start, stop = cleaned.get("start"), cleaned.get("stop")
        if start and stop and stop < start:
            self.add_error(
                "stop",
                ValidationError(
                    "The stop date is before the start date: check both dates.", "stop_before_start"
                ),
            )
        return cleaned


class EnteredInErrorForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        label="Why is this record wrong?",
        error_messages={"required": "Say why this record is wrong."},
        widget=forms.TextInput(attrs={"placeholder": "e.g. entered on the wrong patient"}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why this record is wrong.", "required")
        return reason


class AcknowledgeForm(forms.Form):
    """Red flags seen by a clinician, with an optional note (docs/clinical-rules.md §11.5)."""

    NOTE_MAX = 1000
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was done, for example “phoned, X-ray booked”.",
        error_messages={
            "max_length": f"Keep the note under {NOTE_MAX} characters "
            "(it has %(show_value)d); longer notes belong in the record's notes."
        },
    )


class PatientListForm(forms.Form):
    """Search, filters and sorting of the patient list, from the query string."""

    ANY_FRACTURE, FRAGILITY = "any", "fragility"
    # Whitelisted orderings: a `sort` value outside these is ignored.
    SORTS = {
        "name": ("family_name", "given_name", "mrn"),
        "-name": ("-family_name", "-given_name", "mrn"),
        "mrn": ("mrn",),
        "-mrn": ("-mrn",),
        "dob": ("date_of_birth", "family_name", "given_name", "mrn"),
        "-dob": ("-date_of_birth", "family_name", "given_name", "mrn"),
    }

    q = forms.CharField(
        label="Name, MRN or date of birth",
        required=False,
        widget=forms.SearchInput,
        help_text="A date of birth as YYYY-MM-DD, alone or after a name.",
    )
    sex = forms.ChoiceField(label="Sex", required=False, choices=[("", "Any"), *Sex.choices])
    has_fracture = forms.ChoiceField(
        label="Fractures (not entered in error)",
        required=False,
        choices=[
            ("", "With or without"),
            (FRAGILITY, "Has a fragility fracture"),
            (ANY_FRACTURE, "Has any fracture"),
        ],
    )
    risk = forms.BooleanField(label="Has at least one risk factor", required=False)
    sort = forms.ChoiceField(
        label="Sort by",
        required=False,
        choices=[
            ("name", "Name A–Z"),
            ("-name", "Name Z–A"),
            ("mrn", "MRN"),
            ("-mrn", "MRN, descending"),
            ("dob", "Date of birth, oldest first"),
            ("-dob", "Date of birth, youngest first"),
        ],
    )

    def patients(self, patients):
        """`patients` searched, filtered and sorted, each with its count of valid fractures."""
        # An unknown value (a hand-edited link) is dropped rather than shown as an error.
        self.is_valid()
        options = self.cleaned_data
        # A subquery rather than Count over a join: the paginator then counts plain patients,
        # and the count is taken only for the rows of the page shown.
        valid = Fracture.objects.valid().filter(patient=OuterRef("pk")).order_by()
        patients = patients.search(options.get("q", "")).annotate(
            fracture_count=Coalesce(
                Subquery(valid.values("patient").annotate(n=Count("pk")).values("n")), 0
            )
        )
        if options.get("sex"):
            patients = patients.filter(sex=options["sex"])
        if options.get("has_fracture"):
            fractures = Fracture.objects.valid().filter(patient=OuterRef("pk"))
            if options["has_fracture"] == self.FRAGILITY:
                fractures = fractures.filter(mechanism=Mechanism.FRAGILITY)
            patients = patients.filter(Exists(fractures))
        if options.get("risk"):
            any_risk = Q()
            for name in Patient.RISK_FACTOR_FIELDS:
                any_risk |= Q(**{name: True})
            patients = patients.filter(any_risk)
        return patients.order_by(*self.SORTS[options.get("sort") or "name"])


class SymptomReportForm(DateBoundsMixin, OnceMixin, forms.ModelForm):
    """The symptom diary: what a patient (or a clinician for them) reports."""

    pain = forms.TypedChoiceField(
        label="How bad is your pain today? (0 = no pain, 10 = worst imaginable)",
        coerce=int,
        choices=[(n, str(n)) for n in range(0, 11)],
        widget=forms.RadioSelect(attrs={"class": "form-check-inline"}),
        error_messages={"invalid_choice": "Choose a number from 0 to 10."},
    )

    class Meta:
        model = SymptomReport
        fields = [
            "pain",
            "pain_back",
            "pain_hip",
            "pain_neck_shoulder",
            "pain_other",
            "sudden_onset",
            "affects_sleep_or_daily_life",
            "fall_since_last_report",
            "height_loss_or_stooping",
            "note",
        ]
        labels = {
            "pain_back": "Back",
            "pain_hip": "Hip",
            "pain_neck_shoulder": "Neck or shoulder",
            "pain_other": "Somewhere else (say where below)",
        }
        widgets = {"note": forms.Textarea(attrs={"rows": 3})}

    def clean(self):
        cleaned = super().clean()
        places = [cleaned.get(name) for name in SymptomReport.LOCATION_FIELDS.values()]
        if cleaned.get("pain") and not any(places):
            self.add_error("pain_back", "Tick where it hurts.")
        if cleaned.get("pain_other") and not (cleaned.get("note") or "").strip():
            self.add_error("note", "Say where else it hurts.")
        return cleaned


class ClinicianSymptomReportForm(SymptomReportForm):
    """A report entered for the patient (after a phone call, say): dated when it happened."""

    past_dates = ("reported_on",)

    reported_on = forms.DateField(
        label="Date of the report",
        widget=DateInput(),
        initial=datetime.date.today,
        required=False,
        help_text="Leave empty for today.",
    )

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        self.order_fields(["reported_on"])

    def clean_reported_on(self):
        day = self.cleaned_data["reported_on"] or timezone.localdate()
        check_not_future(day, "date of the report")
        if day < self.patient.date_of_birth:
            raise ValidationError("The report is dated before the date of birth.", "before_birth")
        return day

    def save(self, commit=True):
        report = super().save(commit=False)
        day = self.cleaned_data["reported_on"]
        if day != timezone.localdate():
            # Noon of that day: a past report has a date, not a time.
            report.reported_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(12))
            )
        if commit:
            report.save()
        return report


class CaregiverInviteForm(OnceMixin, forms.ModelForm):
    """Who the patient wants to help them with the portal."""

    class Meta:
        model = CaregiverGrant
        fields = ["name", "email", "relationship"]

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        held = CaregiverGrant.objects.open().filter(
            patient=self.patient, email__iexact=email, caregiver__isnull=False
        )
        if held.exists():
            raise ValidationError(
                "This person already has access. To invite them again, end their access first."
            )
        return email


class ClinicianCaregiverInviteForm(CaregiverInviteForm):
    """A clinician invites a caregiver for the patient, recording the patient's consent."""

    consent_given = forms.BooleanField(
        label="The patient has agreed that this person sees their portal",
        error_messages={"required": "Invite a caregiver only with the patient's agreement."},
    )

    class Meta(CaregiverInviteForm.Meta):
        fields = ["name", "email", "relationship", "consent_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent_note"].required = True
        self.fields["consent_note"].error_messages["required"] = (
            "Say when and how the patient agreed (for example: in clinic today, in person)."
        )


MESSAGE_MAX_LENGTH = 5000


class SecureMessageForm(OnceMixin, forms.ModelForm):
    """A message in the thread between a patient and the clinic."""

    class Meta:
        model = SecureMessage
        fields = ["subject", "body"]
        labels = {"body": "Message"}
        widgets = {"body": forms.Textarea(attrs={"rows": 5})}
        error_messages = {
            "subject": {"required": "Give the message a subject."},
            "body": {"required": "Write a message before sending it."},
        }

    def clean_subject(self):
        return self.cleaned_data["subject"].strip()

    def clean_body(self):
        body = self.cleaned_data["body"]
        if len(body) > MESSAGE_MAX_LENGTH:
            raise ValidationError(
                f"A message can be at most {MESSAGE_MAX_LENGTH} characters "
                f"(this one has {len(body)})."
            )
        return body


class NotificationPreferencesForm(EditGuardMixin, forms.ModelForm):
    class Meta:
        model = NotificationPreferences
        fields = list(NotificationPreferences.KINDS)
