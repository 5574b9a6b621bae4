"""Counters in the cache that move on after each committed change to the clinic's records.

A cached page part (or export) is keyed by the newest history rows of what it shows, but history
ids and times are handed out before a transaction commits: a part built while a change was in
flight could be stored under marks that the change, committing later, does not move. These
counters move on after the commit, and also on changes that leave no history (an account
deleted, a clinician renamed).

- CLINIC moves on with every change: the worklist and patient list depend on every record.
- SHARED moves on with records every patient's pages show (devices, precision studies,
  education pages, user accounts).
- patient(pk) moves on with the records of one patient.
"""

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

CLINIC, SHARED = "clinic", "shared"


def patient(pk: int) -> str:
    return f"patient:{pk}"


def _key(name: str) -> str:
    return f"epoch:{name}"


def marks(*names: str) -> tuple:
    """The counters' current values, one cache round trip when they are all there."""
    keys = [_key(name) for name in names]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # A counter moved on (or evicted) starts again from a value never used before (the
            # time in nanoseconds), so no part cached under an earlier value can come back.
            fresh = time.time_ns()
            found[key] = fresh if cache.add(key, fresh, timeout=None) else cache.get(key, fresh)
    return tuple(found[key] for key in keys)


def of_patient(pk: int) -> tuple:
    """The counters of what a patient's pages show: their records and the shared ones."""
    return marks(patient(pk), SHARED)


def bump(*names: str) -> None:
    # Forgotten rather than incremented, in one round trip however many: the next reader
    # starts the counter again from a value never used before (see `marks`).
    cache.delete_many([_key(name) for name in names])


def bump_after_commit(*names: str) -> None:
    """Move the counters on once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: bump(*names))


# Models whose rows no cached part shows, or that are written on every view.
UNWATCHED = {"patients.accesslogentry", "scans.patientstatus"}
WATCHED_APPS = {"patients", "scans", "education", "liaison"}


def record_written(sender, instance, **kwargs) -> None:
    """post_save and post_delete of any model: move the counters its change concerns on."""
    meta = sender._meta
    if meta.label_lower == settings.AUTH_USER_MODEL.lower():
        # Signing in saves last_login alone, which no part shows.
        if set(kwargs.get("update_fields") or ()) == {"last_login"}:
            return
        bump_after_commit(CLINIC, SHARED)
        return
    if meta.app_label not in WATCHED_APPS or meta.label_lower in UNWATCHED:
        return
    if getattr(sender, "instance_type", None) is not None:
        return  # a history row, written with the change it records
    owner = _patient_of(instance)
    bump_after_commit(CLINIC, SHARED if owner is None else patient(owner))


def _patient_of(instance) -> int | None:
    if instance._meta.label_lower == "patients.patient":
        return instance.pk
    if (owner := getattr(instance, "patient_id", None)) is not None:
        return owner
    if getattr(instance, "scan_id", None) is not None:  # a scan's site measurement
        return instance.scan.patient_id
    return None
