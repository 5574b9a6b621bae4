"""The import's columns about a scan rather than one result (status, the check against the
report) and the plausibility checks of new rows (docs/clinical-rules.md §13).

Plain functions on the import's rows and plan, without the request: the dry run lists the
flagged rows, and a commit writes a flagged row only when it is ticked, or when the file itself
says the same warnings were checked against the report (an export of this program does).
"""

import datetime
from collections import defaultdict

from django.utils import timezone

from scans import entry
from scans.models import ScanStatus

WARNINGS_SEPARATOR = " | "
STATUS_ALIASES = {
    "": "",
    "draft": ScanStatus.DRAFT,
    "reviewed": ScanStatus.REVIEWED,
    "released": ScanStatus.RELEASED,
    "released to portal": ScanStatus.RELEASED,
}


def parse_status(text: str) -> str:
    status = STATUS_ALIASES.get(" ".join(text.strip().lower().split()))
    if status is None:
        raise ValueError(f"“{text}” is not one of draft, reviewed or released.")
    return status


def parse_checked_at(text: str) -> datetime.datetime | None:
    if not text.strip():
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"“{text}” is not a date and time: write it as YYYY-MM-DDTHH:MM:SS+00:00."
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_checked_warnings(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(WARNINGS_SEPARATOR) if part.strip())


def format_checked_warnings(warnings) -> str:
    return WARNINGS_SEPARATOR.join(warnings)


SCAN_COLUMNS = ("status", "checked_by", "checked_at", "checked_warnings")


def check_scans_agree(rows) -> None:
    """The rows of one scan must give it one status and one check against the report."""
    by_scan = defaultdict(list)
    for row in rows:
        if row.values is not None:
            by_scan[row.values.scan_key].append(row)
    for group in by_scan.values():
        for column in SCAN_COLUMNS:
            seen = {}
            for row in group:
                seen.setdefault(getattr(row.values, column), row.number)
            if len(seen) > 1:
                first, second = sorted(seen.values())[:2]
                for row in group:
                    row.fail(
                        column,
                        f"rows {first} and {second} give this scan different values — every "
                        "row of one scan carries the same.",
                    )


def flag_rows(plan, *, keep_status: bool) -> None:
    """Set `warnings` on each new row that fails a plausibility check (the dry run's flags).

    Lines are learned from the clinic's released results; the change is measured from the
    previous released result, in the clinic or earlier in a file imported as released.
    """
    rows = [row for row in plan.rows if row.status == "new" and not row.values.is_vertebra]
    if not rows:
        return
    patient_ids = {p.pk for p in plan.patients.values()}
    device_ids = {device.pk for device in plan.devices.values()}
    lines = entry.learned_lines(device_ids)
    earlier = entry.earlier_results(patient_ids)
    max_rate = entry.max_change_percent_per_year()
    sexes = {mrn: patient.sex for mrn, patient in plan.patients.items()}
    sexes.update({mrn: identity["sex"] for mrn, identity in plan.new_identities.items()})
    # Results of the file that will be stored as released count as earlier results too.
    from_file = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.values.scan_date):
        values = row.values
        # A file of past results: a row without a status is imported as released.
        if keep_status and (values.status or ScanStatus.RELEASED) == ScanStatus.RELEASED:
            from_file[(values.mrn, values.site, values.side)].append(
                entry.Earlier(values.scan_date, values.bmd, values.manufacturer)
            )
    for row in rows:
        values = row.values
        patient = plan.patients.get(values.mrn)
        device = plan.devices.get(values.device_key)
        stored = earlier.get((patient.pk, values.site, values.side), []) if patient else []
        history = sorted(
            stored + from_file.get((values.mrn, values.site, values.side), []),
            key=lambda e: e.date,
        )
        row.warnings = entry.result_warnings(
            entry.Entered(values.site, values.side, values.bmd, values.t_score),
            manufacturer=values.manufacturer,
            date=values.scan_date,
            line=lines.get((device.pk, values.site, sexes.get(values.mrn))) if device else None,
            earlier=history,
            max_rate=max_rate,
        )


def checked_in_file(row) -> bool:
    """True when the file says this row's warnings were checked against the report already."""
    return bool(row.warnings) and set(row.warnings) <= set(row.values.checked_warnings)


def held_back(row, ticked: set[int]) -> bool:
    """A flagged row is written only when ticked, or already checked in the file."""
    return bool(row.warnings) and row.number not in ticked and not checked_in_file(row)


def rows_to_write(rows, ticked: set[int]) -> list:
    """The new rows a commit writes: a flagged row not ticked holds back every row of its scan,
    so that no scan is stored without one of its results (the form saves a scan whole too)."""
    waiting = {row.values.scan_key for row in rows if held_back(row, ticked)}
    return [row for row in rows if row.values.scan_key not in waiting]
