"""Forms for scanners and for logging a DEXA scan with all its sites on one page."""

import datetime
import math

from django import forms
from django.core.exceptions import ValidationError

from patients.concurrency import EditGuardMixin
from patients.dates import DateBoundsMixin
from patients.forms import DateInput, check_not_future
from patients.numbers import (
    NumberError,
    ReportNumberField,
    parse_number,
    split_pasted_line,
)
from patients.submissions import OnceMixin

from .entry import Entered
from .models import (
    AREA_MAX,
    AREA_MIN,
    BMC_MAX,
    BMC_MIN,
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Device,
    DexaScan,
    FraxEntry,
    PrecisionStudy,
    Site,
    SiteMeasurement,
)
from .rules.monitoring import precision_from_study


class DeviceForm(DateBoundsMixin, OnceMixin, EditGuardMixin, forms.ModelForm):
    past_dates = ("moved_on",)

    class Meta:
        model = Device
        fields = ["manufacturer", "model", "serial", "location", "moved_on", "active"]
        widgets = {"moved_on": DateInput()}

    def clean_serial(self):
        serial = self.cleaned_data["serial"].strip()
        if not serial:
            raise ValidationError("Enter the serial number from the scanner's label.", "required")
        return serial

    def clean_moved_on(self):
        day = self.cleaned_data["moved_on"]
        if day is not None:
            check_not_future(day, "date of the move")
        return day

    def clean(self):
        cleaned = super().clean()
        manufacturer, serial = cleaned.get("manufacturer"), cleaned.get("serial")
        if manufacturer and serial:
            clash = Device.objects.filter(manufacturer=manufacturer, serial__iexact=serial)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk)
            if clash.exists():
                self.add_error(
                    "serial",
                    f"A {clash[0].get_manufacturer_display()} scanner with "
                    f"serial {serial} is already registered.",
                )
        return cleaned


class ScanForm(DateBoundsMixin, OnceMixin, EditGuardMixin, forms.ModelForm):
    past_dates = ("date",)
    date = forms.DateField(label="Scan date", widget=DateInput(), help_text="YYYY-MM-DD")

    checked = forms.BooleanField(
        label="Checked against the report",
        required=False,
        help_text="Tick once each value the checks name is the one printed on the report.",
    )

    class Meta:
        model = DexaScan
        fields = ["device", "date", "operator", "reference_database", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)
        devices = Device.objects.filter(active=True)
        if self.instance.pk:
            devices = Device.objects.filter(active=True) | Device.objects.filter(
                pk=self.instance.device_id
            )
        self.fields["device"].queryset = devices

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > datetime.date.today():
            raise ValidationError("The scan date is in the future — check the date.", "future")
        if day < self.patient.date_of_birth:
            raise ValidationError(
                f"Date of birth ({self.patient.date_of_birth:%Y-%m-%d}) is after the scan date.",
                "before_birth",
            )
        return day

    def needs_check(self, warnings: list[str]) -> bool:
        """True, with a message at the tick box, when flagged results are not yet confirmed
        (docs/clinical-rules.md §13); warnings confirmed before need no second tick."""
        self.warnings = warnings
        if not warnings or self.cleaned_data.get("checked"):
            return False
        if self.instance.pk and warnings == self.instance.checked_warnings:
            return False
        self.add_error(
            "checked",
            ValidationError(
                "Some results did not pass the plausibility checks listed above. Compare each "
                "with the printed report, correct any typing error, or tick “Checked against "
                "the report” to save them as they are.",
                code="unchecked",
            ),
        )
        return True

    def clean(self):
        cleaned = super().clean()
        device, day = cleaned.get("device"), cleaned.get("date")
        if device and day:
            same = DexaScan.objects.valid().filter(patient=self.patient, device=device, date=day)
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists():
                self.add_error(
                    "date",
                    ValidationError(
                        f"This patient already has a scan on {day:%Y-%m-%d} on this device.",
                        "duplicate",
                    ),
                )
        return cleaned


class MeasurementForm(forms.ModelForm):
    bmd = ReportNumberField(
        low=BMD_MIN,
        high=BMD_MAX,
        what="BMD",
        unit=" g/cm²",
        label="BMD (g/cm²)",
        max_digits=6,
        decimal_places=3,
    )
    t_score = ReportNumberField(
        low=SCORE_MIN,
        high=SCORE_MAX,
        what="T-score",
        label="T-score",
        max_digits=4,
        decimal_places=1,
    )
    z_score = ReportNumberField(
        low=SCORE_MIN,
        high=SCORE_MAX,
        what="Z-score",
        label="Z-score",
        required=False,
        max_digits=4,
        decimal_places=1,
    )

    bmc = ReportNumberField(
        low=BMC_MIN,
        high=BMC_MAX,
        what="BMC",
        unit=" g",
        label="BMC (g)",
        required=False,
        max_digits=7,
        decimal_places=2,
    )
    area = ReportNumberField(
        low=AREA_MIN,
        high=AREA_MAX,
        what="Area",
        unit=" cm²",
        label="Area (cm²)",
        required=False,
        max_digits=7,
        decimal_places=2,
    )

    class Meta:
        model = SiteMeasurement
        # A tuple: an inline formset adds its foreign key to a list of fields in place, which
        # would change this form (and the order of its hidden inputs) after the first request.
        fields = ("site", "side", "vertebrae", "bmd", "t_score", "z_score", "bmc", "area")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs["class"] = f"{css} form-control-sm"

    def has_changed(self):
        # A new row with no numbers typed is blank, whatever its site and side say.
        if self.instance.pk is None:
            return any(
                (self.data.get(self.add_prefix(name)) or "").strip()
                for name in ("bmd", "t_score", "z_score", "bmc", "area")
            )
        return super().has_changed()

    def full_clean(self):
        super().full_clean()
        # The row is a table, not crispy fields: mark the fields that need checking ourselves.
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                attrs["aria-describedby"] = f"{self.auto_id % self.add_prefix(name)}_error"

    def clean(self):
        cleaned = super().clean()
        site, side = cleaned.get("site"), cleaned.get("side")
        if site == Site.LUMBAR_SPINE:
            if side:
                self.add_error("side", "The lumbar spine has no side: leave it empty.")
            if not cleaned.get("vertebrae"):
                cleaned["vertebrae"] = "L1-L4"
        elif site:
            if not side:
                self.add_error("side", f"Choose left or right for the {Site(site).label.lower()}.")
            if cleaned.get("vertebrae"):
                self.add_error("vertebrae", "Vertebrae apply to the lumbar spine only.")
        return cleaned


class BaseMeasurementFormSet(forms.BaseInlineFormSet):
    def clean(self):
        # Our own duplicate check runs first, so the message says which row and what to do.
        seen, kept = set(), 0
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data:
                continue
            if form.cleaned_data.get("DELETE"):
                continue
            key = (form.cleaned_data.get("site"), form.cleaned_data.get("side") or "")
            if key in seen:
                form.add_error("site", "This site and side is already entered above.")
            seen.add(key)
            kept += 1
        super().clean()
        if kept == 0:
            raise ValidationError("Enter at least one site's results.", code="no_sites")


# The sites a clinic usually measures, in report order; blank rows are ignored.
DEFAULT_ROWS = [
    {"site": Site.LUMBAR_SPINE, "side": "", "vertebrae": "L1-L4"},
    {"site": Site.FEMORAL_NECK, "side": "left"},
    {"site": Site.TOTAL_HIP, "side": "left"},
    {"site": Site.FEMORAL_NECK, "side": "right"},
    {"site": Site.TOTAL_HIP, "side": "right"},
    {"site": Site.RADIUS_33, "side": "left"},
]


def measurement_formset(*, data=None, instance=None):
    """The sites of one scan: the usual rows for a new scan, the stored ones when editing."""
    editing = instance is not None and instance.pk
    formset_class = forms.inlineformset_factory(
        DexaScan,
        SiteMeasurement,
        form=MeasurementForm,
        formset=BaseMeasurementFormSet,
        extra=2 if editing else len(DEFAULT_ROWS),
        # A stored result is corrected, never removed: a scan entered wrongly is marked
        # entered in error as a whole, so nothing clinical is deleted.
        can_delete=False,
    )
    initial = None if editing else DEFAULT_ROWS
    return formset_class(
        data=data, instance=instance or DexaScan(), initial=initial, prefix="sites"
    )


def entered_results(formset) -> list[Entered]:
    """The site results a valid measurement formset will store, for the plausibility checks."""
    results = []
    for form in formset.forms:
        data = getattr(form, "cleaned_data", None) or {}
        if data.get("DELETE") or data.get("bmd") is None or data.get("t_score") is None:
            continue
        results.append(Entered(data["site"], data.get("side") or "", data["bmd"], data["t_score"]))
    return results


class PrecisionStudyForm(DateBoundsMixin, OnceMixin, forms.ModelForm):
    past_dates = ("date",)
    """A precision study typed or pasted: one patient per line, their repeated BMD values."""

    date = forms.DateField(widget=DateInput(), label="Date of the study")
    values_text = forms.CharField(
        label="BMD values (g/cm²)",
        widget=forms.Textarea(attrs={"rows": 12, "class": "font-monospace"}),
        help_text=(
            "One patient per line, their 2 or 3 repeated values separated by commas, semicolons, "
            "tabs or spaces (paste from a spreadsheet). 30 patients scanned twice or 15 three "
            "times."
        ),
    )

    class Meta:
        model = PrecisionStudy
        fields = ["site", "date"]

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > datetime.date.today():
            raise ValidationError("The study date is in the future.", "future")
        return day

    def clean_values_text(self):
        groups, problems = [], []
        for number, line in enumerate(self.cleaned_data["values_text"].splitlines(), start=1):
            cells = split_pasted_line(line)
            if not cells:
                continue
            if len(cells) == 1 and cells[0].count(",") > 1:
                problems.append(
                    f"Line {number}: “{line.strip()}” — separate values that use a decimal "
                    "comma with semicolons, tabs or spaces."
                )
                continue
            try:
                values = [float(parse_number(cell, field=f"Line {number}")) for cell in cells]
            except NumberError as error:
                problems.append(str(error))
                continue
            if len(values) < 2:
                problems.append(f"Line {number}: a patient needs at least two values.")
            elif any(not (math.isfinite(v) and 0.1 <= v <= 2.5) for v in values):
                problems.append(f"Line {number}: BMD must be 0.100–2.500 g/cm².")
            else:
                groups.append(values)
        if problems:
            raise ValidationError(problems, code="invalid_line")
        try:
            self.result = precision_from_study(groups)
        except ValueError as error:
            raise ValidationError(str(error), code="insufficient") from None
        if round(self.result.rms_sd, 4) <= 0:
            raise ValidationError(
                "Every patient's values are identical, so no precision can be computed: "
                "paste the BMD of each repeated scan.",
                code="no_variation",
            )
        return groups


class FraxForm(DateBoundsMixin, OnceMixin, forms.ModelForm):
    past_dates = ("date",)
    date = forms.DateField(widget=DateInput())

    class Meta:
        model = FraxEntry
        fields = ["date", "major_osteoporotic", "hip", "with_bmd"]
        field_classes = {"major_osteoporotic": ReportNumberField, "hip": ReportNumberField}

    def __init__(self, *args, patient, **kwargs):
        self.patient = patient
        super().__init__(*args, **kwargs)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > datetime.date.today():
            raise ValidationError("The FRAX date is in the future.", "future")
        if day < self.patient.date_of_birth:
            raise ValidationError("The FRAX date is before the date of birth.", "before_birth")
        return day

    def _percent(self, name):
        value = self.cleaned_data[name]
        if not 0 <= value <= 100:
            raise ValidationError(f"A probability is 0–100%, not {value}%.", "out_of_range")
        return value

    def clean_major_osteoporotic(self):
        return self._percent("major_osteoporotic")

    def clean_hip(self):
        return self._percent("hip")

    def clean(self):
        cleaned = super().clean()
        major, hip = cleaned.get("major_osteoporotic"), cleaned.get("hip")
        if major is not None and hip is not None and hip > major:
            # Hip fractures are among the major osteoporotic fractures FRAX counts.
            self.add_error("hip", "The hip probability cannot exceed the major osteoporotic one.")
        return cleaned
