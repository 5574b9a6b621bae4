"""The IOF Capture the Fracture patient-level KPIs, as plain functions on plain values
(docs/clinical-rules.md §15 and §15.1).

docs/clinical-rules.md §15: of the patients with a sentinel (index) fragility fracture, the
proportion who have a non-spinal (1) or a spine (2) index fracture; were assessed for fracture
risk (3) and had DXA (4) within the assessment window; had a falls risk assessment (5); were
recommended anti-osteoporosis medication (6); started strength and balance exercise (7), were
contacted (8) and started medication (9) within 16 weeks; were still on medication 52 weeks
after the fracture (10); and the data completeness of the above (11). The window is 12 weeks
in the IOF set and 90 days in the UK FLS-DB: a clinic setting.

Days are counted from the index fracture: with a 12-week window, day 84 is within it and day 85
is not. An episode enters a KPI's denominator once that KPI's time point has passed (on day 85
for a 12-week window): a fracture of last week cannot yet have failed its 16-week contact.
Steps with no time limit of their own (falls assessment, medication recommended) are judged at
the end of the assessment window, as part of the assessment.
"""

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TWELVE_WEEKS = 84
NINETY_DAYS = 90
WINDOWS = {"12-weeks": TWELVE_WEEKS, "90-days": NINETY_DAYS}
SIXTEEN_WEEKS = 16 * 7
FIFTY_TWO_WEEKS = 52 * 7

# IOF levels (docs/clinical-rules.md §15): below 50% red, 50–80% amber, above 80% green.
RED, AMBER, GREEN = "red", "amber", "green"
LEVEL_LABELS = {RED: "Red (below 50%)", AMBER: "Amber (50–80%)", GREEN: "Green (above 80%)"}


@dataclass(frozen=True)
class Facts:
    """What one FLS episode holds that the KPIs read. None means "not recorded"."""

    fracture_date: datetime.date
    spine: bool
    assessed_on: datetime.date | None = None  # fracture-risk assessment done that day
    assessment_recorded: bool = False  # done, or recorded as not done
    dxa_on: datetime.date | None = None
    dxa_recorded: bool = False  # done, or recorded as recommended or not recommended
    falls_assessed: bool | None = None  # done, referred or recommended
    medication_recommended: bool | None = None
    exercise_started_on: datetime.date | None = None
    exercise_recorded: bool = False
    contacted_16_on: datetime.date | None = None
    contact_16_recorded: bool = False
    medication_started_on: datetime.date | None = None
    medication_start_recorded: bool = False
    on_medication_52: bool | None = None


def days_after(facts: Facts, day: datetime.date | None) -> int | None:
    return None if day is None else (day - facts.fracture_date).days


def within(facts: Facts, day: datetime.date | None, limit: int) -> bool:
    """True when `day` is on the fracture day or at most `limit` days after it."""
    days = days_after(facts, day)
    return days is not None and 0 <= days <= limit


@dataclass(frozen=True)
class Kpi:
    number: int
    title: str
    # Days after the fracture that must have passed before an episode is judged on this KPI
    # (given the window); None: judged from the fracture day.
    due: Callable[[int], int | None]
    met: Callable[[Facts, int], bool]
    recorded: Callable[[Facts], bool]
    # The IOF levels judge care; the share of spine and non-spine fractures is case mix.
    levels: bool = True


KPIS: tuple[Kpi, ...] = (
    Kpi(
        1,
        "Non-spinal index fracture",
        lambda w: None,
        lambda f, w: not f.spine,
        lambda f: True,
        levels=False,
    ),
    Kpi(
        2,
        "Spine index fracture (clinical or radiological)",
        lambda w: None,
        lambda f, w: f.spine,
        lambda f: True,
        levels=False,
    ),
    Kpi(
        3,
        "Assessed for fracture risk within the window",
        lambda w: w,
        lambda f, w: within(f, f.assessed_on, w),
        lambda f: f.assessment_recorded,
    ),
    Kpi(
        4,
        "DXA within the window",
        lambda w: w,
        lambda f, w: within(f, f.dxa_on, w),
        lambda f: f.dxa_recorded,
    ),
    Kpi(
        5,
        "Falls risk assessment (done, referred or recommended)",
        lambda w: w,
        lambda f, w: f.falls_assessed is True,
        lambda f: f.falls_assessed is not None,
    ),
    Kpi(
        6,
        "Recommended anti-osteoporosis medication",
        lambda w: w,
        lambda f, w: f.medication_recommended is True,
        lambda f: f.medication_recommended is not None,
    ),
    Kpi(
        7,
        "Started strength and balance exercise within 16 weeks",
        lambda w: SIXTEEN_WEEKS,
        lambda f, w: within(f, f.exercise_started_on, SIXTEEN_WEEKS),
        lambda f: f.exercise_recorded,
    ),
    Kpi(
        8,
        "Monitored (contacted) within 16 weeks",
        lambda w: SIXTEEN_WEEKS,
        lambda f, w: within(f, f.contacted_16_on, SIXTEEN_WEEKS),
        lambda f: f.contact_16_recorded,
    ),
    Kpi(
        9,
        "Started anti-osteoporosis medication within 16 weeks",
        lambda w: SIXTEEN_WEEKS,
        lambda f, w: within(f, f.medication_started_on, SIXTEEN_WEEKS),
        lambda f: f.medication_start_recorded,
    ),
    Kpi(
        10,
        "Still on medication 52 weeks after the fracture",
        lambda w: FIFTY_TWO_WEEKS,
        lambda f, w: f.on_medication_52 is True,
        lambda f: f.on_medication_52 is not None,
    ),
)
COMPLETENESS = 11
COMPLETENESS_TITLE = "Data completeness of KPIs 3 to 10"
TITLES = {kpi.number: kpi.title for kpi in KPIS} | {COMPLETENESS: COMPLETENESS_TITLE}


@dataclass(frozen=True)
class Result:
    number: int
    title: str
    numerator: int
    denominator: int
    recorded: int  # of the denominator, how many have this step recorded at all
    not_yet_due: int  # episodes in the period whose time point has not come
    levels: bool = True

    @property
    def percentage(self) -> float | None:
        return None if not self.denominator else 100 * self.numerator / self.denominator

    @property
    def level(self) -> str | None:
        return level(self.numerator, self.denominator) if self.levels else None


def level(numerator: int, denominator: int) -> str | None:
    """The IOF level of numerator/denominator, compared exactly (80% itself is amber)."""
    if not denominator:
        return None
    if numerator * 100 < 50 * denominator:
        return RED
    if numerator * 100 <= 80 * denominator:
        return AMBER
    return GREEN


def kpi_results(episodes: Sequence[Facts], *, today: datetime.date, window: int) -> list[Result]:
    """The eleven KPIs over `episodes` (those whose index fracture falls in the period)."""
    results = []
    for kpi in KPIS:
        due = kpi.due(window)
        judged = [f for f in episodes if due is None or (today - f.fracture_date).days > due]
        results.append(
            Result(
                number=kpi.number,
                title=kpi.title,
                numerator=sum(1 for f in judged if kpi.met(f, window)),
                denominator=len(judged),
                recorded=sum(1 for f in judged if kpi.recorded(f)),
                not_yet_due=len(episodes) - len(judged),
                levels=kpi.levels,
            )
        )
    # KPI 11: every step of KPIs 3–10 that was due, recorded or not; the fracture site of
    # KPIs 1 and 2 is always known, and would only flatter the figure.
    steps = [r for r in results if r.number >= 3]
    results.append(
        Result(
            number=COMPLETENESS,
            title=COMPLETENESS_TITLE,
            numerator=sum(r.recorded for r in steps),
            denominator=sum(r.denominator for r in steps),
            recorded=sum(r.recorded for r in steps),
            not_yet_due=sum(r.not_yet_due for r in steps),
        )
    )
    return results


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """The first day of every month from `first`'s month to `last`'s, in order."""
    months, month = [], month_of(first)
    while month <= month_of(last):
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def by_month(
    episodes: Sequence[Facts],
    months: Sequence[datetime.date],
    *,
    today: datetime.date,
    window: int,
) -> dict[datetime.date, list[Result]]:
    """The KPIs of each month of index fracture: the points of the run charts."""
    grouped: dict[datetime.date, list[Facts]] = {month: [] for month in months}
    for facts in episodes:
        grouped.setdefault(month_of(facts.fracture_date), []).append(facts)
    return {month: kpi_results(grouped[month], today=today, window=window) for month in months}
