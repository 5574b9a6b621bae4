"""Which steps of an FLS episode are due or late on a given day (docs/clinical-rules.md §15.1).

The assessment and a recommended DXA are due within the assessment window (12 weeks or 90 days,
docs/clinical-rules.md §15, KPIs 3 and 4). The contacts are due "at about" 16 and 52 weeks:
they come onto the worklist two weeks before and are late once the point has passed (KPI 8
counts a contact within 16 weeks).
"""

import datetime
from dataclasses import dataclass

from .kpis import FIFTY_TWO_WEEKS, SIXTEEN_WEEKS

CONTACT_LEAD_DAYS = 14
ASSESSMENT, DXA, CONTACT_16, CONTACT_52 = "assessment", "dxa", "contact_16", "contact_52"
LABELS = {
    ASSESSMENT: "Fracture-risk assessment",
    DXA: "Recommended DXA",
    CONTACT_16: "16-week contact",
    CONTACT_52: "52-week contact",
}


@dataclass(frozen=True)
class StepState:
    fracture_date: datetime.date
    open: bool = True
    assessment_recorded: bool = False
    dxa_recommended: bool = False
    dxa_done: bool = False
    contact_16_recorded: bool = False
    contact_52_recorded: bool = False


@dataclass(frozen=True)
class Due:
    step: str
    due_by: datetime.date
    late: bool

    @property
    def label(self) -> str:
        return LABELS[self.step]

    def describe(self) -> str:
        if self.late:
            return f"{self.label} late (was due by {self.due_by:%Y-%m-%d})"
        return f"{self.label} due by {self.due_by:%Y-%m-%d}"


def due_steps(state: StepState, *, today: datetime.date, window: int) -> list[Due]:
    """The steps of an open episode that are due or late on `today`, earliest first."""
    if not state.open:
        return []

    def by(days: int) -> datetime.date:
        return state.fracture_date + datetime.timedelta(days=days)

    found = []
    if not state.assessment_recorded:
        found.append((ASSESSMENT, by(window)))
    if state.dxa_recommended and not state.dxa_done:
        found.append((DXA, by(window)))
    if not state.contact_16_recorded and today >= by(SIXTEEN_WEEKS - CONTACT_LEAD_DAYS):
        found.append((CONTACT_16, by(SIXTEEN_WEEKS)))
    if not state.contact_52_recorded and today >= by(FIFTY_TWO_WEEKS - CONTACT_LEAD_DAYS):
        found.append((CONTACT_52, by(FIFTY_TWO_WEEKS)))
    return [Due(step, day, today > day) for step, day in found]


def on_worklist_from(today: datetime.date) -> dict[str, datetime.date]:
    """The newest fracture date for which each contact is already on the worklist `today`."""
    return {
        CONTACT_16: today - datetime.timedelta(days=SIXTEEN_WEEKS - CONTACT_LEAD_DAYS),
        CONTACT_52: today - datetime.timedelta(days=FIFTY_TWO_WEEKS - CONTACT_LEAD_DAYS),
    }
