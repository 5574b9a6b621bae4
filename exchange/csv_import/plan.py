"""Step 2: the plan, the rows set against the record (reads only), in a few `__in` queries:
which patients, scanners, scans and measurements are new, which are already there unchanged
(skipped), and which contradict what is stored (conflicts: reported, never overwritten). Also
the rejected rows given back as a file.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from patients.csvfile import csv_text
from patients.models import Patient
from patients.numbers import format_number
from scans.models import (
    Device,
    DexaScan,
    ScanStatus,
    SiteMeasurement,
    VertebraMeasurement,
)

from .columns import ERROR_COLUMN, IDENTITY_COLUMNS, column_key
from .rows import PROGRESS_EVERY, ParsedFile, Progress, RowResult, Status, same_vertebrae

# Keeps every `__in` list under SQLite's oldest limit of 999 parameters.
QUERY_CHUNK = 900


@dataclass
class Counts:
    rows: int = 0
    new_patients: int = 0
    new_devices: int = 0
    new_scans: int = 0
    new_measurements: int = 0
    unchanged: int = 0
    conflicts: int = 0
    errors: int = 0
    flagged: int = 0  # new rows that failed a plausibility check: written only when ticked
    held_back: int = 0  # flagged rows a commit left out, not being ticked

    def as_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass
class ImportPlan:
    parsed: ParsedFile
    counts: Counts
    patients: dict[str, Patient]  # existing patients by MRN
    devices: dict[tuple[str, str], Device]  # existing scanners by (manufacturer, SERIAL)
    scans: dict[tuple, DexaScan]  # existing valid scans by (mrn, device key, date)
    new_identities: dict[str, dict]  # identity of each new patient, by MRN

    @property
    def rows(self) -> list[RowResult]:
        return self.parsed.rows

    @property
    def problems(self) -> list[RowResult]:
        return [row for row in self.rows if row.rejected]

    @property
    def new_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.status == Status.NEW]

    @property
    def flagged(self) -> list[RowResult]:
        return [row for row in self.new_rows if row.warnings]


def _chunks(values: Iterable, size: int = QUERY_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def build_plan(parsed: ParsedFile, *, progress: Progress | None = None) -> ImportPlan:
    """Set every checked row against the database: new, unchanged, conflict or error."""
    good = [row for row in parsed.rows if row.status != Status.ERROR and row.values]
    mrns = {row.values.mrn for row in good}
    patients: dict[str, Patient] = {}
    # MRNs are stored upper-cased by Python (Patient.save, and the import's own bulk writes),
    # so the indexed column matches as it is; SQL's UPPER() would miss non-ASCII letters.
    for chunk in _chunks(mrns):
        patients.update({patient.mrn: patient for patient in Patient.objects.filter(mrn__in=chunk)})

    # A clinic has a handful of scanners: compare serials in Python, whatever their letters.
    devices = {
        (device.manufacturer, device.serial.upper()): device for device in Device.objects.all()
    }

    mrn_of = {patient.pk: mrn for mrn, patient in patients.items()}
    device_key_of = {device.pk: key for key, device in devices.items()}
    wanted_scans = {
        (row.values.mrn, row.values.device_key, row.values.scan_date)
        for row in good
        if row.values.mrn in patients and row.values.device_key in devices
    }
    scans: dict[tuple, DexaScan] = {}
    for chunk in _chunks(patient.pk for patient in patients.values()):
        for scan in DexaScan.objects.valid().filter(patient_id__in=chunk):
            key = (mrn_of[scan.patient_id], device_key_of.get(scan.device_id), scan.date)
            if key in wanted_scans:
                scans[key] = scan
    stored: dict[tuple[int, str, str], SiteMeasurement] = {}
    for chunk in _chunks(scan.pk for scan in scans.values()):
        for measurement in SiteMeasurement.objects.filter(scan_id__in=chunk).order_by():
            stored[(measurement.scan_id, measurement.site, measurement.side)] = measurement
        for vertebra in VertebraMeasurement.objects.filter(scan_id__in=chunk).order_by():
            stored[(vertebra.scan_id, f"L{vertebra.level}", "")] = vertebra

    new_identities = _check_patients(good, patients)
    counts = Counts(rows=parsed.total)
    new_scan_keys, new_devices, new_patients = set(), set(), set()
    for done, row in enumerate(parsed.rows, start=1):
        # Rows already refused (file errors) or held back (identity conflicts) stay so.
        if not row.status and row.values is not None:
            values = row.values
            scan = scans.get((values.mrn, values.device_key, values.scan_date))
            existing = scan and stored.get((scan.pk, values.site, values.side))
            if existing is not None:
                _compare(row, existing, scan)
            elif scan is not None and scan.status != ScanStatus.DRAFT:
                row.fail(
                    "site",
                    f"the scan of {scan.date:%Y-%m-%d} on this scanner is already "
                    f"{scan.get_status_display().lower()} and has no {values.site} "
                    f"{values.side}".rstrip()
                    + " result — add it on the scan's page, where it is reviewed again.",
                    Status.CONFLICT,
                )
            else:
                row.status = Status.NEW
                if scan is None:
                    new_scan_keys.add((values.mrn, values.device_key, values.scan_date))
                if values.device_key not in devices:
                    new_devices.add(values.device_key)
                if values.mrn not in patients:
                    new_patients.add(values.mrn)
        if progress and (done % PROGRESS_EVERY == 0 or done == parsed.total):
            progress("checked", done, parsed.total)

    for row in parsed.rows:
        if row.status == Status.NEW:
            counts.new_measurements += 1
        elif row.status == Status.UNCHANGED:
            counts.unchanged += 1
        elif row.status == Status.CONFLICT:
            counts.conflicts += 1
        else:
            row.status = Status.ERROR
            counts.errors += 1
    counts.new_patients = len(new_patients)
    counts.new_devices = len(new_devices)
    counts.new_scans = len(new_scan_keys)
    return ImportPlan(
        parsed=parsed,
        counts=counts,
        patients=patients,
        devices=devices,
        scans=scans,
        new_identities={mrn: new_identities[mrn] for mrn in new_patients},
    )


def _check_patients(good: list[RowResult], patients: dict[str, Patient]) -> dict[str, dict]:
    """Known MRNs must match the record; new MRNs need a name, a date of birth and a sex."""
    by_mrn: dict[str, list[RowResult]] = defaultdict(list)
    for row in good:
        by_mrn[row.values.mrn].append(row)
    identities = {}
    for mrn, group in by_mrn.items():
        patient = patients.get(mrn)
        given = {}
        for column in (*IDENTITY_COLUMNS, "menopause"):
            values = [getattr(row.values, column) for row in group]
            given[column] = next((value for value in values if value not in (None, "")), None)
        if patient is not None:
            _check_same_person(group, patient, given)
        else:
            for column in IDENTITY_COLUMNS:
                if given[column] is None:
                    for row in group:
                        row.fail(column, "needed for a new MRN — this MRN is not in the clinic.")
            identities[mrn] = given
        born = patient.date_of_birth if patient is not None else given["date_of_birth"]
        for row in group:
            if born is not None and row.values.scan_date < born:
                row.fail(
                    "scan_date",
                    f"is before the date of birth ({born:%Y-%m-%d}) — check both dates.",
                )
    return identities


def _check_same_person(group: list[RowResult], patient: Patient, given: dict) -> None:
    # An MRN typed wrong would file scans under someone else: any detail that contradicts
    # the record holds back every row of that MRN.
    stored = {
        "family_name": patient.family_name.casefold(),
        "given_name": patient.given_name.casefold(),
        "date_of_birth": patient.date_of_birth,
        "sex": patient.sex,
    }
    for column, value in stored.items():
        mine = given[column]
        if isinstance(mine, str) and column != "sex":
            mine = mine.casefold()
        if mine is not None and mine != value:
            for row in group:
                row.fail(
                    column,
                    f"MRN {patient.mrn} belongs to {patient.family_name}, {patient.given_name} "
                    f"(born {patient.date_of_birth:%Y-%m-%d}, {patient.get_sex_display().lower()})"
                    " — check the MRN, or leave names, date of birth and sex empty for "
                    "patients already in the clinic.",
                    Status.CONFLICT,
                )


def _compare(row: RowResult, existing, scan: DexaScan) -> None:
    values = row.values
    stored = (
        existing.bmd,
        existing.t_score,
        getattr(existing, "z_score", None),
        same_vertebrae(values.site, getattr(existing, "vertebrae", "")),
        existing.bmc,
        existing.area,
    )
    if stored == values.result:
        row.status = Status.UNCHANGED
        return
    shown = {
        "bmd": lambda v: f"{v} g/cm²",
        "t_score": lambda v: format_number(v),
        "z_score": lambda v: "none" if v is None else format_number(v),
        "vertebrae": str,
        "bmc": lambda v: "none" if v is None else f"{v} g",
        "area": lambda v: "none" if v is None else f"{v} cm²",
    }
    for column, mine, theirs in zip(shown, values.result, stored, strict=True):
        if mine != theirs:
            row.fail(
                column,
                f"the clinic already holds {shown[column](theirs)} for this result of the scan "
                f"of {scan.date:%Y-%m-%d}, the file says {shown[column](mine)} — not "
                "overwritten; correct the scan on its page if the file is right.",
                Status.CONFLICT,
            )


def rejects_csv(plan: ImportPlan) -> str:
    """The rejected rows as they were in the file, with a last column saying what to fix."""
    header = plan.parsed.header
    keep = [index for index, name in enumerate(header.names) if column_key(name) != ERROR_COLUMN]
    rows = []
    for row in plan.problems:
        cells = row.cells + [""] * (len(header.names) - len(row.cells))
        rows.append([cells[index] for index in keep] + [row.error_text])
    # Cells are written as they were in the file, made safe for a spreadsheet (csvfile).
    return csv_text(
        [header.names[index] for index in keep] + [ERROR_COLUMN], rows, delimiter=header.delimiter
    )
