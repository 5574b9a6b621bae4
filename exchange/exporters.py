"""CSV export of site measurements, in the import's own columns so that a file re-imports."""

from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice

from patients.csvfile import csv_lines as write_csv_lines
from scans.models import SiteMeasurement, VertebraMeasurement

from .csv_import.columns import COLUMNS
from .import_checks import format_checked_warnings

# The whole clinic's export is read and sent in chunks of this many measurements.
CHUNK = 2000


def valid_measurements():
    """Every measurement of a valid scan (not entered in error), ready for `measurement_row`."""
    return (
        SiteMeasurement.objects.filter(scan__entered_in_error=False)
        .select_related("scan__patient", "scan__device")
        .order_by("scan__patient__mrn", "scan__date", "scan__device_id", "site", "side", "pk")
    )


def valid_vertebrae():
    """Every vertebra of a valid scan, ready for `measurement_row`."""
    return (
        VertebraMeasurement.objects.filter(scan__entered_in_error=False)
        .select_related("scan__patient", "scan__device")
        .order_by("scan__patient__mrn", "scan__date", "scan__device_id", "level", "pk")
    )


def _optional(value) -> str:
    return "" if value is None else f"{value}"


def measurement_row(measurement) -> list[str]:
    """One site measurement or vertebra as a row of the import's columns, with its scan's
    status and check against the report, so that a file re-imports as the same record."""
    scan, patient = measurement.scan, measurement.scan.patient
    vertebra = isinstance(measurement, VertebraMeasurement)
    values = {
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "date_of_birth": f"{patient.date_of_birth:%Y-%m-%d}",
        "sex": patient.sex,
        "scan_date": f"{scan.date:%Y-%m-%d}",
        "manufacturer": scan.device.get_manufacturer_display(),
        "device_serial": scan.device.serial,
        "site": f"L{measurement.level}" if vertebra else measurement.site,
        "side": "" if vertebra else measurement.side,
        "bmd": f"{measurement.bmd}",
        "t_score": f"{measurement.t_score}",
        "z_score": "" if vertebra else _optional(measurement.z_score),
        "menopause": patient.menopause,
        "vertebrae": "" if vertebra else measurement.vertebrae,
        "bmc": _optional(measurement.bmc),
        "area": _optional(measurement.area),
        "status": scan.status,
        "checked_by": scan.checked_by,
        "checked_at": scan.checked_at.isoformat() if scan.checked_at else "",
        "checked_warnings": format_checked_warnings(scan.checked_warnings),
    }
    # Names like "=HYPERLINK(...)" are made safe by the one CSV writer (patients.csvfile).
    return [values[name] for name in COLUMNS]


def csv_lines(measurements: Iterable) -> Iterator[str]:
    """The CSV text, line by line: the header, then one line per measurement or vertebra."""
    return write_csv_lines(COLUMNS, (measurement_row(m) for m in measurements))


def patient_csv(patient) -> str:
    """One patient's measurements and vertebrae of valid scans, as one CSV text."""
    return "".join(
        csv_lines(
            chain(
                valid_measurements().filter(scan__patient=patient),
                valid_vertebrae().filter(scan__patient=patient),
            )
        )
    )


def clinic_csv_lines(before_sending: Callable[[list[int]], object]) -> Iterator[str]:
    """The whole clinic, streamed in chunks so memory stays flat however many scans exist.

    `before_sending` is given the patients of each chunk before its lines are handed on, so
    the access log names exactly the patients whose data left, and none when nothing is sent.
    """
    rows = chain(
        valid_measurements().iterator(chunk_size=CHUNK),
        valid_vertebrae().iterator(chunk_size=CHUNK),
    )
    yield from write_csv_lines(COLUMNS, ())  # the header
    while chunk := list(islice(rows, CHUNK)):
        before_sending(sorted({m.scan.patient_id for m in chunk}))
        yield "".join(write_csv_lines(None, (measurement_row(m) for m in chunk)))
