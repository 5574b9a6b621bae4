"""The access log read back: grouped in plain words for the patient, in full for superusers."""

from dataclasses import dataclass

from django.db.models import Count, Max, Min
from django.db.models.functions import TruncDate
from django.http import HttpResponse
from django.utils import timezone

from .access import Role
from .csvfile import csv_text
from .models import AccessAction, AccessOutcome

# What each kind of view showed, as the patient reads it.
PLAIN_WORDS = {
    AccessAction.RECORD: "your record",
    AccessAction.SCAN: "the results of a scan",
    AccessAction.CHART: "your charts",
    AccessAction.SUMMARY: "a printable summary of your record",
    AccessAction.HISTORY: "the history of changes to your record",
    AccessAction.EXPORT: "a copy of your results, as a file",
    AccessAction.PORTAL: "your portal pages",
    AccessAction.FORM: "a form with your details, to add or change something",
    AccessAction.CAREGIVERS: "who can see your portal",
    AccessAction.DIARY: "your symptom diary",
    AccessAction.EDUCATION: "a page chosen for you",
    AccessAction.ADMIN: "your record in the administration pages",
}
GROUPS_SHOWN = 200


@dataclass
class Visit:
    """One person's views of the record on one day: what they saw, how often, from when to when."""

    day: object
    who: str
    what: list[str]
    times: int
    first: object
    last: object


def _who(row) -> str:
    name = row["user_full_name"] or row["username"] or "Someone"
    role = Role.LABELS.get(row["role"], row["role"]).lower()
    return f"{name} ({role})"


def patient_visits(patient, user) -> list[Visit]:
    """Who looked at `patient`'s record, one row per person and day, newest first.

    The patient's own views (`user`) are left out: the page answers who else looked. Refused
    attempts are for superusers: they would name other people to the patient.
    """
    rows = (
        patient.access_log.filter(outcome=AccessOutcome.SHOWN)
        .exclude(user_id=user.pk)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_current_timezone()))
        .values("day", "user_id", "username", "user_full_name", "role", "action")
        .annotate(times=Count("pk"), first=Min("at"), last=Max("at"))
        .order_by("-day", "-last")[:GROUPS_SHOWN]
    )
    visits: dict[tuple, Visit] = {}
    for row in rows:
        what = PLAIN_WORDS.get(row["action"], row["action"])
        key = (row["day"], row["user_id"], row["username"])
        visit = visits.get(key)
        if visit is None:
            visits[key] = Visit(
                row["day"], _who(row), [what], row["times"], row["first"], row["last"]
            )
            continue
        visit.what.append(what)
        visit.times += row["times"]
        visit.first = min(visit.first, row["first"])
        visit.last = max(visit.last, row["last"])
    return list(visits.values())


CSV_COLUMNS = (
    "time",
    "username",
    "name",
    "role",
    "patient MRN",
    "patient",
    "what",
    "outcome",
    "address",
    "path",
)


def access_log_csv_response(entries) -> HttpResponse:
    """The entries as a CSV download (superusers, from the admin)."""
    rows = (
        (
            timezone.localtime(entry.at).isoformat(timespec="seconds"),
            entry.username,
            entry.user_full_name,
            entry.role,
            entry.patient.mrn,
            entry.patient.full_name,
            entry.get_action_display(),
            entry.get_outcome_display(),
            entry.ip_address or "",
            entry.path,
        )
        for entry in entries
    )
    response = HttpResponse(csv_text(CSV_COLUMNS, rows), content_type="text/csv; charset=utf-8")
    filename = f"osteoclinic-access-log-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
