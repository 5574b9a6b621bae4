"""Step 3: writing. The dry run, and the import of a file's new records in one transaction, with
bulk operations that keep the history rows.
"""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from exchange import import_checks
from patients.authorship import author_fields
from patients.models import Menopause, Patient, Sex
from patients.signals import announce_record_changed
from scans.models import (
    Device,
    DexaScan,
    ScanStatus,
    SiteMeasurement,
    VertebraMeasurement,
)
from scans.services import status_refresh_many

from .columns import ImportFileError
from .plan import ImportPlan, build_plan
from .reading import parse_file
from .rows import Progress


def import_preview(
    *,
    text: str,
    date_format: str,
    keep_status: bool = False,
    progress: Progress | None = None,
) -> ImportPlan:
    """The dry run: what an import of this file would do now, with the rows that fail a
    plausibility check flagged (docs/clinical-rules.md §13). Writes nothing.

    `keep_status`: the file holds past results already reported, whose scans keep the file's
    status (released where none is given), so its released rows count as earlier results;
    otherwise every imported scan is a draft.
    """
    parsed = parse_file(text, date_format=date_format, progress=progress)
    plan = build_plan(parsed, progress=progress)
    import_checks.flag_rows(plan, keep_status=keep_status)
    plan.counts.flagged = len(plan.flagged)
    return plan


@transaction.atomic
def import_commit(
    *,
    text: str,
    date_format: str,
    user=None,
    source: str = "",
    ticked: Iterable[int] = (),
    progress: Progress | None = None,
    plan: ImportPlan | None = None,
    past_results: bool = False,
) -> ImportPlan:
    """Import the file's new records in one transaction; everything else is left as it is.

    New scans are drafts, each to be reviewed and released (docs/clinical-rules.md §16),
    unless `past_results`: the file holds results already reported to the patients, which
    `user` decides to import as released, recorded as reviewed by them at this time. A file of
    past results keeps its status column where a row gives one (an export's drafts stay drafts).

    A flagged row is written only when its number is in `ticked` (checked against the report
    by `user`), or when the file records that its warnings were checked already; until then
    the other rows of its scan wait with it.

    `plan` is this file's plan made just before, outside the transaction, so that its progress
    can be seen (exchange.import_jobs); the database's unique constraints still stop a race.
    """
    decider = user if user is not None and user.is_authenticated else None
    if past_results and decider is None:
        raise ImportFileError(
            "Importing past results as released needs the clinician who decides so."
        )
    if plan is None:
        plan = import_preview(
            text=text, date_format=date_format, keep_status=past_results, progress=progress
        )
    ticked = set(ticked)
    rows = import_checks.rows_to_write(plan.new_rows, ticked)
    counts = plan.counts
    # From here the counts say what was written, flagged rows left out being counted apart.
    counts.held_back = len(plan.new_rows) - len(rows)
    counts.new_measurements = len(rows)
    if not rows:
        counts.new_patients = counts.new_devices = counts.new_scans = 0
        return plan
    reason = f"CSV import {source}".strip()
    if past_results:
        reason += ", past results already reported"
    history = {
        "default_user": decider,
        "custom_historical_attrs": author_fields(decider),
        "default_change_reason": reason[:100],
        "batch_size": 500,
    }

    patients = dict(plan.patients)
    new_patients = [
        Patient(
            # Patient.save() upper-cases the MRN; bulk_create does not call it.
            mrn=mrn.strip().upper(),
            family_name=identity["family_name"],
            given_name=identity["given_name"],
            date_of_birth=identity["date_of_birth"],
            sex=identity["sex"],
            # A woman's status not given is unknown, not "not applicable": the reading flags
            # it (docs/clinical-rules.md §2.1).
            menopause=identity["menopause"]
            or (Menopause.UNKNOWN if identity["sex"] == Sex.FEMALE else Menopause.NOT_APPLICABLE),
        )
        for mrn, identity in plan.new_identities.items()
        if any(row.values.mrn == mrn for row in rows)
    ]
    for patient in _bulk_create(new_patients, Patient, history):
        patients[patient.mrn] = patient

    devices = dict(plan.devices)
    new_devices = {}
    for row in rows:
        key = row.values.device_key
        if key not in devices and key not in new_devices:
            new_devices[key] = Device(manufacturer=key[0], serial=row.values.serial)
    for device in _bulk_create(list(new_devices.values()), Device, history):
        devices[(device.manufacturer, device.serial.upper())] = device

    scans = dict(plan.scans)
    new_scans = {}
    now = timezone.now()
    checked = _checks_by_scan(rows, ticked, user, now)
    for row in rows:
        values = row.values
        key = values.scan_key
        if key not in scans and key not in new_scans:
            # New results are drafts; past results keep the file's status, else released.
            status = (values.status or ScanStatus.RELEASED) if past_results else ScanStatus.DRAFT
            reviewed = status != ScanStatus.DRAFT
            new_scans[key] = DexaScan(
                patient=patients[values.mrn],
                device=devices[values.device_key],
                date=values.scan_date,
                status=status,
                # Past results already reported: the importing clinician decided, now.
                reviewed_by=decider if reviewed else None,
                reviewed_at=now if reviewed else None,
                reported_before_import=reviewed,
                **checked.get(key, {}),
            )
    _bulk_create(list(new_scans.values()), DexaScan, history)
    # A draft scan already in the clinic that takes a checked flagged result keeps the check.
    for key, check in checked.items():
        if key in scans and key not in new_scans:
            scan = scans[key]
            scan.checked_warnings = [*scan.checked_warnings, *check["checked_warnings"]]
            scan.checked_by, scan.checked_at = check["checked_by"], check["checked_at"]
            scan.save(update_fields=["checked_warnings", "checked_by", "checked_at", "updated_at"])
    scans.update(new_scans)

    measurements, vertebrae = [], []
    for row in rows:
        values = row.values
        if values.is_vertebra:
            vertebrae.append(
                VertebraMeasurement(
                    scan=scans[values.scan_key],
                    level=values.level,
                    bmd=values.bmd,
                    t_score=values.t_score,
                    bmc=values.bmc,
                    area=values.area,
                )
            )
            continue
        measurements.append(
            SiteMeasurement(
                scan=scans[values.scan_key],
                site=values.site,
                side=values.side,
                vertebrae=values.vertebrae,
                bmd=values.bmd,
                t_score=values.t_score,
                z_score=values.z_score,
                bmc=values.bmc,
                area=values.area,
            )
        )
    _bulk_create(measurements, SiteMeasurement, history)
    _bulk_create(vertebrae, VertebraMeasurement, history)
    counts.new_patients, counts.new_devices = len(new_patients), len(new_devices)
    counts.new_scans = len(new_scans)
    if progress:
        progress("written", len(rows), len(rows))

    affected = [patients[mrn] for mrn in sorted({row.values.mrn for row in rows})]
    if past_results:
        # Released results: each patient's reading and education follow, as after a release.
        for patient in affected:
            announce_record_changed(DexaScan, patient)
    else:
        # The stored readings follow once this commits, in bulk. Drafts feed no reading and
        # no education: those follow their release.
        transaction.on_commit(lambda: status_refresh_many(patients=affected))
    return plan


def _checks_by_scan(rows, ticked: set[int], user, now) -> dict[tuple, dict]:
    """Per scan: the warnings checked against the report, by whom and when — as the file
    records it, and for rows ticked now, by `user` at `now`."""
    checks: dict[tuple, dict] = {}
    for row in rows:
        values = row.values
        if values.checked_warnings:
            checks[values.scan_key] = {
                "checked_warnings": list(values.checked_warnings),
                "checked_by": values.checked_by,
                "checked_at": values.checked_at,
            }
    for row in rows:
        if row.warnings and row.number in ticked and not import_checks.checked_in_file(row):
            check = checks.setdefault(
                row.values.scan_key,
                {"checked_warnings": [], "checked_by": "", "checked_at": None},
            )
            check["checked_warnings"] += [
                w for w in row.warnings if w not in check["checked_warnings"]
            ]
            check["checked_by"] = user.get_username() if user is not None else "import"
            check["checked_at"] = now
    return checks


def _bulk_create(objects: list, model, history: dict) -> list:
    # With history rows, as a save() would write them: the record's audit trail stays whole.
    if not objects:
        return []
    return bulk_create_with_history(objects, model, **history)
