"""Numbers as reports print them (docs/clinical-rules.md §12): one parser for every clinical number.

A DEXA report prints the real minus sign (U+2212) or an en dash, and in many countries a
decimal comma. A value typed or pasted from a report must keep its sign and magnitude, so every
clinical number — BMD, T- and Z-scores, BMC, area, height, dose, FRAX, precision-study values —
is read here on the server, from a text field (a browser's `type=number` silently drops the
characters it does not know).
"""

import re
from decimal import ROUND_DOWN, Decimal, InvalidOperation, localcontext

from django import forms
from django.core.exceptions import ValidationError

# Minus signs a report or a word processor prints: U+2212 minus, en dash, hyphen-minus and the
# Unicode hyphens; a leading plus is allowed. Spaces around (and the narrow no-break space some
# reports print between sign and digits) are taken away.
_MINUS = "\u2212\u2013\u2010\u2011\u002d"
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_NUMBER = re.compile(rf"^(?P<sign>[+{_MINUS}]?)(?P<whole>\d*)(?:[.,](?P<fraction>\d+))?$")


class NumberError(ValueError):
    """A value that is not a number as reports print them; the message names field and value."""


def parse_number(text: str, *, field: str) -> Decimal:
    """The number a report prints: "−1.9", "–1,9", "+0.5", " 0,812 " → Decimal; else NumberError."""
    cleaned = _SPACES.sub("", text)
    match = _NUMBER.match(cleaned)
    if match is None or not (match["whole"] or match["fraction"]):
        raise NumberError(
            f"{field}: “{text.strip()}” is not a number — type it as the report prints it, "
            "for example −1.9, –1,9 or 0,812."
        )
    digits = match["whole"] or "0"
    if match["fraction"] is not None:
        digits += f".{match['fraction']}"
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise NumberError(f"{field}: “{text.strip()}” is not a number.") from None
    return -value if match["sign"] and match["sign"] != "+" else value


def format_number(value: Decimal, plus: bool = False) -> str:
    """A number as a report prints it: the real minus sign, and a plus when asked."""
    text = f"{value}"
    if text.startswith("-"):
        return "\u2212" + text[1:]
    return f"+{text}" if plus and value > 0 else text


class DecimalTextInput(forms.TextInput):
    """A text field that brings up the number keyboard on phones and tablets."""

    def __init__(self, attrs=None):
        super().__init__({"inputmode": "decimal", "autocomplete": "off", **(attrs or {})})


class ReportNumberField(forms.DecimalField):
    """A clinical number typed or pasted from a report, read by `parse_number`.

    `low`/`high` give the plausible range; the messages name the field and what was typed.
    """

    widget = DecimalTextInput

    def __init__(self, *, low=None, high=None, what: str = "", unit: str = "", **kwargs):
        self.low = None if low is None else Decimal(low)
        self.high = None if high is None else Decimal(high)
        self.what, self.unit = what, unit
        # A form's own words for a code (e.g. the height's range) win over ours.
        self.own_messages = dict(kwargs.get("error_messages") or {})
        super().__init__(**kwargs)
        if not self.what:
            self.what = str(self.label or "The value")

    def widget_attrs(self, widget):
        # Not DecimalField's: "step" and "min" belong to type=number, which this is not.
        return forms.Field.widget_attrs(self, widget)

    def to_python(self, value):
        if value in self.empty_values or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, Decimal):
            return value
        try:
            return parse_number(str(value), field=self.what)
        except NumberError as error:
            raise ValidationError(str(error), code="invalid") from None

    def validate(self, value):
        forms.Field.validate(self, value)
        if value is None:
            return
        low, high = self.low, self.high
        if (low is not None and value < low) or (high is not None and value > high):
            plus = low is not None and low < 0
            bounds = f"{format_number(low) if low is not None else ''}…" + (
                format_number(high, plus=plus) if high is not None else ""
            )
            raise ValidationError(
                f"{self.what} {format_number(value)}{self.unit} is outside "
                f"{bounds}{self.unit} — check the report.",
                code="out_of_range",
            )
        self._check_places(value)

    def _check_places(self, value: Decimal) -> None:
        if self.decimal_places is None:
            return
        # Whole digits first: quantizing a number with more digits than the decimal context
        # holds (28) raises rather than answering.
        if self.max_digits is not None and abs(value) >= Decimal(10) ** (
            self.max_digits - self.decimal_places
        ):
            raise ValidationError(
                self.own_messages.get("max_whole_digits")
                or f"{self.what} {format_number(value)}{self.unit} is too large — check the value.",
                code="max_whole_digits",
            )
        step = Decimal(1).scaleb(-self.decimal_places)
        # "0.8120" is 0.812: only digits that change the value count. The context holds every
        # digit typed, so a long number is judged rather than overflowing the default precision.
        with localcontext() as context:
            context.prec = max(context.prec, value.adjusted() + self.decimal_places + 2)
            truncated = value.quantize(step, rounding=ROUND_DOWN)
        if value != truncated:
            raise ValidationError(
                self.own_messages.get("max_decimal_places")
                or f"{self.what} {format_number(value)} has more than {self.decimal_places} "
                f"decimal{'s' if self.decimal_places != 1 else ''} — check the report.",
                code="max_decimal_places",
            )


# For ModelAdmin.formfield_overrides: every decimal of a clinical record is a report number.
ADMIN_NUMBER_OVERRIDES = {"form_class": ReportNumberField, "widget": DecimalTextInput}


def split_pasted_line(line: str) -> list[str]:
    """The values of one pasted line: tabs or semicolons separate; else commas and spaces do,
    unless the values use a decimal comma ("0,812 0,815"), when only spaces do."""
    line = line.strip()
    if "\t" in line or ";" in line:
        cells = re.split(r"[\t;]", line)
    elif "." in line or not re.search(r"\s", line):
        cells = re.split(r"[,\s]+", line) if "." in line or "," not in line else [line]
    else:
        cells = re.split(r"\s+", line)
    return [cell.strip() for cell in cells if cell.strip()]
