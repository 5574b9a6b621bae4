"""CSV export of site measurements, in the import's own columns so that a file re-imports."""

import csv
from collections.abc import Iterable, Iterator
from itertools import chain

from .import_checks import format_checked_warnings
from .importers import COLUMNS, FORMULA_STARTS, TEXT_COLUMNS
from .models import SiteMeasurement, VertebraMeasurement

BYTE_ORDER_MARK = "\ufeff"  # lets Excel open the file as UTF-8; the import accepts it


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


def _text(value: str) -> str:
    # A name like "=HYPERLINK(...)" must not run as a formula in a spreadsheet (OWASP).
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


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
    return [_text(values[name]) if name in TEXT_COLUMNS else values[name] for name in COLUMNS]


class _Line:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, text: str) -> str:
        return text


def csv_lines(measurements: Iterable[SiteMeasurement]) -> Iterator[str]:
    """The CSV text, line by line: the header, then one line per measurement."""
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield BYTE_ORDER_MARK + writer.writerow(COLUMNS)
    for measurement in measurements:
        yield writer.writerow(measurement_row(measurement))


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


def clinic_csv_lines() -> Iterator[str]:
    """The whole clinic, streamed in chunks so memory stays flat however many scans exist."""
    return csv_lines(
        chain(
            valid_measurements().iterator(chunk_size=2000),
            valid_vertebrae().iterator(chunk_size=2000),
        )
    )
