"""One cell of an import file read as a value: MRNs, names and serials, the alias tables'
choices, sites, vertebrae, dates in the format chosen for the file, and numbers as scanner
reports print them. Each raises ValueError with a message that says what to fix.
"""

import datetime
import re
from decimal import Decimal

from patients.numbers import NumberError, format_number, parse_number
from patients.validators import invisible_characters
from scans.rules.spine import parse_vertebrae

from .columns import DATE_FORMATS, SITE_ALIASES, VERTEBRA_SITES, alias_key

EARLIEST_BIRTH = datetime.date(1900, 1, 1)
MRN_PATTERN = re.compile(r"^[A-Z0-9-]+$")


def parse_mrn(text: str) -> str:
    mrn = text.strip().upper()
    if not mrn:
        raise ValueError("is empty — every row needs the patient's MRN.")
    if len(mrn) > 32 or not MRN_PATTERN.match(mrn):
        raise ValueError(f"“{text}” is not an MRN: use up to 32 letters, digits and dashes.")
    return mrn


def parse_name(text: str) -> str:
    if len(text) > 100:
        raise ValueError("is longer than 100 characters — check the column.")
    _visible(text)
    return text


def parse_serial(text: str) -> str:
    if not text:
        raise ValueError("is empty — give the serial number on the scanner's label.")
    if len(text) > 100:
        raise ValueError("is longer than 100 characters — check the column.")
    _visible(text)
    return text


def _visible(text: str) -> None:
    # The same rule as the forms' (patients.validators): no bidi controls or invisible marks.
    if found := invisible_characters(text):
        raise ValueError(f"contains a character you cannot see ({', '.join(found)}) — retype it.")


def parse_choice(text: str, aliases: dict, allowed: str, *, allow_empty: bool = False):
    if allow_empty and not text:
        return None
    value = aliases.get(alias_key(text))
    if value is None:
        shown = f"“{text}”" if text else "empty"
        raise ValueError(f"{shown} is not one of {allowed}.")
    return value


def parse_site(text: str) -> str:
    if alias_key(text) in VERTEBRA_SITES:
        return VERTEBRA_SITES[alias_key(text)]
    site = SITE_ALIASES.get(alias_key(text))
    if site is None:
        shown = f"“{text}”" if text else "empty, it"
        raise ValueError(
            f"{shown} is not a known site (use lumbar_spine, femoral_neck, total_hip, radius_33, "
            "or L1 to L4 for one vertebra)."
        )
    return site


def parse_vertebrae_text(text: str) -> str:
    if not text:
        return ""
    try:
        parse_vertebrae(text)
    except ValueError as error:
        raise ValueError(f"“{text}” cannot be read ({error}): write L1-L4 or L1,L2,L4.") from None
    if len(text) > 20:
        raise ValueError("is longer than 20 characters: write L1-L4 or L1,L2,L4.")
    return text


ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_date(text: str, date_format: str) -> datetime.date:
    """A date written in the format chosen for the file; the message says which was expected."""
    expected = DATE_FORMATS[date_format]
    if not text:
        raise ValueError(f"is empty — write the date as {expected}.")
    match = (ISO_DATE if date_format == "iso" else DMY_DATE).match(text)
    if match:
        numbers = [int(part) for part in match.groups()]
        year, month, day = numbers if date_format == "iso" else reversed(numbers)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise ValueError(f"{text} is not a date in the calendar — check it.") from None
    other = "dmy" if date_format == "iso" else "iso"
    hint = ""
    if (DMY_DATE if other == "dmy" else ISO_DATE).match(text):
        hint = f" It looks like {DATE_FORMATS[other]}: upload the file again choosing that format."
    raise ValueError(
        f"“{text}” is not a date in {expected}, the format chosen for this file.{hint}"
    )


def parse_scan_date(text: str, date_format: str, today: datetime.date) -> datetime.date:
    day = parse_date(text, date_format)
    if day > today:
        raise ValueError(f"{day:%Y-%m-%d} is in the future — check the date.")
    if day < EARLIEST_BIRTH:
        raise ValueError(f"{day:%Y-%m-%d} is before 1900 — check the year.")
    return day


def parse_birth_date(text: str, date_format: str, today: datetime.date) -> datetime.date | None:
    if not text:
        return None
    day = parse_date(text, date_format)
    if day > today:
        raise ValueError(f"{day:%Y-%m-%d} is in the future — check the date.")
    if day < EARLIEST_BIRTH:
        raise ValueError(f"{day:%Y-%m-%d} is before 1900 — check the year.")
    return day


def parse_report_number(
    text: str, low: str, high: str, places: int, *, unit: str = "", required: bool = True
) -> Decimal | None:
    """A number as printed on a scanner report: typographic minus and decimal comma accepted."""
    if not text:
        if required:
            raise ValueError("is empty — copy the value from the report.")
        return None
    try:
        value = parse_number(text, field=f"“{text}”")
    except NumberError:
        raise ValueError(
            f"“{text}” is not a number — copy the value from the report (−1.9, –1,9 and 0,812 "
            "are read as printed)."
        ) from None
    low_value, high_value = Decimal(low), Decimal(high)
    if not low_value <= value <= high_value:
        plus = low_value < 0
        raise ValueError(
            f"{format_number(value)}{unit} is outside {format_number(low_value)}…"
            f"{format_number(high_value, plus=plus)}{unit} — check the report."
        )
    step = Decimal(1).scaleb(-places)
    if value != value.quantize(step):
        decimals = "one decimal" if places == 1 else f"{places} decimals"
        raise ValueError(
            f"{format_number(value)} has more than {decimals} — scanners report "
            f"{'scores to 0.1' if places == 1 else 'BMD to 0.001 g/cm²'}; check the report."
        )
    return value.quantize(step)
