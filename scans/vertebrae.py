"""The optional L1–L4 rows of a scan's spine result, as the scanner's report lists them."""

from django import forms

from patients.numbers import DecimalTextInput, ReportNumberField

from .models import (
    AREA_MAX,
    AREA_MIN,
    BMC_MAX,
    BMC_MIN,
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Vertebra,
)

VERTEBRA_COLUMNS = (
    # (field, label, low, high, unit, decimals, required when the row is used)
    ("bmd", "BMD (g/cm²)", BMD_MIN, BMD_MAX, " g/cm²", 3, True),
    ("t_score", "T-score", SCORE_MIN, SCORE_MAX, "", 1, True),
    ("bmc", "BMC (g)", BMC_MIN, BMC_MAX, " g", 2, False),
    ("area", "Area (cm²)", AREA_MIN, AREA_MAX, " cm²", 2, False),
)


class VertebraeForm(forms.Form):
    """Optional L1–L4 rows of the spine result, as the scanner's report lists them."""

    def __init__(self, *args, scan=None, **kwargs):
        initial = {}
        if scan is not None and scan.pk:
            for row in scan.vertebrae.all():
                for name, *_ in VERTEBRA_COLUMNS:
                    initial[f"l{row.level}_{name}"] = getattr(row, name)
        super().__init__(*args, initial=initial, prefix="vertebrae", **kwargs)
        for level in Vertebra:
            for name, label, low, high, unit, places, _required in VERTEBRA_COLUMNS:
                self.fields[f"l{level.value}_{name}"] = ReportNumberField(
                    low=low,
                    high=high,
                    what=f"{level.label} {label.split(' (')[0]}",
                    unit=unit,
                    label=f"{level.label} {label}",
                    required=False,
                    max_digits=places + 4,
                    decimal_places=places,
                    widget=DecimalTextInput(attrs={"class": "form-control form-control-sm"}),
                )

    @property
    def rows(self):
        """Per vertebra: its label and its bound fields, for the template's table."""
        return [
            (level.label, [self[f"l{level.value}_{name}"] for name, *_ in VERTEBRA_COLUMNS])
            for level in Vertebra
        ]

    def clean(self):
        cleaned = super().clean()
        for level in Vertebra:
            names = [f"l{level.value}_{name}" for name, *_ in VERTEBRA_COLUMNS]
            if not any(cleaned.get(name) is not None for name in names):
                continue
            for name, label, *_rest, required in VERTEBRA_COLUMNS:
                key = f"l{level.value}_{name}"
                if required and cleaned.get(key) is None and key not in self.errors:
                    self.add_error(
                        key,
                        f"{level.label}: give its {label.split(' (')[0]} too, or clear the row.",
                    )
        return cleaned

    def values(self) -> dict[int, dict]:
        """The vertebrae entered: {level: {"bmd": …, "t_score": …, "bmc": …, "area": …}}."""
        entered = {}
        for level in Vertebra:
            row = {
                name: self.cleaned_data.get(f"l{level.value}_{name}")
                for name, *_ in VERTEBRA_COLUMNS
            }
            if row["bmd"] is not None:
                entered[level.value] = row
        return entered
