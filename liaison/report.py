"""The KPI report of a period: the episodes read in one query, the arithmetic in liaison.kpis."""

import datetime
import functools
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from patients import epochs
from patients.csvfile import FORMULA_STARTS, csv_lines
from patients.models import Fracture
from patients.versions import newest, read, select

from . import kpis
from .models import FACT_FIELDS, Episode, facts_from

WINDOW_LABELS = {"12-weeks": "12 weeks (84 days)", "90-days": "90 days"}


def window_days() -> int:
    """The clinic's assessment and DXA window in days (settings.FLS_ASSESSMENT_WINDOW)."""
    return kpis.WINDOWS[settings.FLS_ASSESSMENT_WINDOW]


def window_label() -> str:
    return WINDOW_LABELS[settings.FLS_ASSESSMENT_WINDOW]


def kpi_version() -> tuple:
    """Marks that move on with any change the KPIs could show: the clinic's counter (moved on
    after every committed change) and the newest history row of episodes and fractures (written
    with the change itself, and by the admin)."""
    marks = newest(Episode.history.model) + newest(Fracture.history.model)
    return (*epochs.marks(epochs.CLINIC), *read(_version_sql(connection.vendor, tuple(marks)), []))


@functools.cache
def _version_sql(vendor: str, marks: tuple[str, ...]) -> str:
    return select(list(marks))[0]


@dataclass(frozen=True)
class MonthPoint:
    """One month of a run chart (frozen and plain, so it keys the chart's cache)."""

    month: datetime.date
    numerator: int
    denominator: int

    @property
    def percentage(self) -> float | None:
        return None if not self.denominator else 100 * self.numerator / self.denominator


@dataclass
class Report:
    first: datetime.date
    last: datetime.date
    today: datetime.date
    window: int
    results: list[kpis.Result]
    months: dict[datetime.date, list[kpis.Result]]

    def run(self, number: int) -> tuple[MonthPoint, ...]:
        """KPI `number` month by month."""
        return tuple(
            MonthPoint(month, results[number - 1].numerator, results[number - 1].denominator)
            for month, results in self.months.items()
        )


def period_facts(first: datetime.date, last: datetime.date) -> list[kpis.Facts]:
    """The facts of every episode whose index fracture falls in the period: one query."""
    rows = Episode.objects.for_months(first, last).values(
        *FACT_FIELDS, "fracture__date", "fracture__site"
    )
    return [
        facts_from(row, fracture_date=row["fracture__date"], fracture_site=row["fracture__site"])
        for row in rows.order_by()
    ]


def report_build(*, first: datetime.date, last: datetime.date, today: datetime.date) -> Report:
    """The eleven KPIs over the period and month by month."""
    facts = period_facts(first, last)
    window = window_days()
    return Report(
        first=kpis.month_of(first),
        last=kpis.month_of(last),
        today=today,
        window=window,
        results=kpis.kpi_results(facts, today=today, window=window),
        months=kpis.by_month(facts, kpis.months_between(first, last), today=today, window=window),
    )


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The twelve months up to and including this one."""
    last = kpis.month_of(today)
    first = datetime.date(last.year - 1, last.month, 1)
    first = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, last


COLUMNS = [
    "kpi",
    "title",
    "month",
    "numerator",
    "denominator",
    "percentage",
    "level",
    "recorded",
    "not_yet_due",
]


def _cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell starting like a formula must not run in a spreadsheet (OWASP CSV injection).
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _row(result: kpis.Result, month: str) -> list[str]:
    percentage = result.percentage
    return [
        _cell(value)
        for value in (
            result.number,
            result.title,
            month,
            result.numerator,
            result.denominator,
            "" if percentage is None else f"{percentage:.1f}",
            result.level or "",
            result.recorded,
            result.not_yet_due,
        )
    ]


def report_csv_lines(report: Report) -> Iterator[str]:
    """The report as CSV: each KPI over the period ("all"), then month by month."""
    rows = [_row(result, "all") for result in report.results]
    for month, results in report.months.items():
        rows += [_row(result, f"{month:%Y-%m}") for result in results]
    return csv_lines(COLUMNS, rows)  # the site's one CSV writer
