"""Bounds on every date a form accepts: a typing slip (2204 for 2024) is caught where typed.

Past events (a scan, a fracture, a birth) are not before 1900, not before the patient's birth
and not in the future; planned dates (a treatment's stop, a page's next review) are at most
PLANNED_DATE_MAX_YEARS ahead.
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

EARLIEST = datetime.date(1900, 1, 1)


def latest_planned(today: datetime.date) -> datetime.date:
    years = settings.PLANNED_DATE_MAX_YEARS
    try:
        return today.replace(year=today.year + years)
    except ValueError:  # 29 February
        return today.replace(year=today.year + years, day=28)


def date_check(day: datetime.date, *, what: str, planned: bool = False, born=None) -> None:
    """Raise a ValidationError that names the bound `day` is outside of."""
    today = timezone.localdate()
    if day < EARLIEST:
        raise ValidationError(f"The {what} is before 1900: check the year.", "before_1900")
    if born is not None and day < born:
        raise ValidationError(
            f"The {what} is before the patient's date of birth ({born:%Y-%m-%d}): check the year.",
            "before_birth",
        )
    if not planned and day > today:
        raise ValidationError(f"The {what} is in the future: check the date.", "future")
    if planned and day > latest_planned(today):
        raise ValidationError(
            f"The {what} is more than {settings.PLANNED_DATE_MAX_YEARS} years ahead: "
            "check the year.",
            "too_far_ahead",
        )


class DateBoundsMixin:
    """For forms: `past_dates` and `planned_dates` name the date fields to bound; the
    patient's birth bounds them too when the form has a `patient`."""

    past_dates: tuple[str, ...] = ()
    planned_dates: tuple[str, ...] = ()

    def _clean_fields(self):
        super()._clean_fields()
        patient = getattr(self, "patient", None)
        born = getattr(patient, "date_of_birth", None)
        for names, planned in ((self.past_dates, False), (self.planned_dates, True)):
            for name in names:
                day = self.cleaned_data.get(name)
                if day is None:
                    continue
                try:
                    date_check(day, what=_what(self, name), planned=planned, born=born)
                except ValidationError as error:
                    self.add_error(name, error)


def _what(form, name: str) -> str:
    label = str(form.fields[name].label or name.replace("_", " "))
    return label[:1].lower() + label[1:]
