"""The worklist's fracture liaison section: open episodes with a step due or late.

One count and one query for the first rows (osteoclinic.worklist), the filter being the rule of
liaison.steps written in SQL; each row then says which steps, by when, in Python.
"""

import datetime

from django.db.models import QuerySet

from .models import Episode, step_state
from .report import window_days
from .steps import due_steps


def due_episodes(today: datetime.date) -> QuerySet:
    """Open episodes with a step due or late, oldest fracture first."""
    return (
        Episode.objects.with_step_due(today)
        .select_related("patient", "fracture")
        .order_by("fracture__date", "pk")
    )


def why(episode: Episode, today: datetime.date) -> str:
    """The row's reason: the fracture, then each step due or late with its date."""
    due = due_steps(step_state(episode), today=today, window=window_days())
    steps = "; ".join(item.describe() for item in due)
    return f"{episode.fracture.site_label} fracture {episode.fracture.date:%Y-%m-%d}: {steps}"
