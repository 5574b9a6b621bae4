"""Workflows of FLS episodes: each one transaction, each announcing the change to the record."""

from django.db import transaction

from patients.concurrency import changed_since_opened
from patients.signals import announce_record_changed

from .models import Episode


def episode_open(*, form, user) -> Episode:
    """Open an episode from a validated EpisodeOpenForm."""
    with transaction.atomic():
        episode = form.save(commit=False)
        episode.created_by = user if user.is_authenticated else None
        episode.save()
        announce_record_changed(Episode, episode.patient)
    return episode


def episode_step_record(*, form) -> Episode | None:
    """Save one step of an episode from a validated step form; None (and a message on the form)
    when someone else changed the same field since the form was opened."""
    with transaction.atomic():
        if changed_since_opened(form):
            return None
        episode = form.save()
        announce_record_changed(Episode, episode.patient)
    return episode


def episode_mark_error(*, episode: Episode, reason: str) -> None:
    """Mark an episode entered in error: it leaves the worklist and the KPIs, never the history."""
    with transaction.atomic():
        episode.mark_entered_in_error(reason)
        announce_record_changed(Episode, episode.patient)
