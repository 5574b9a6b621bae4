"""What the steps of an import pass on: one row's checked values, its result and status, and
the file as read.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from scans.models import (
    Site,
)
from scans.rules.spine import vertebrae_label

from .columns import VERTEBRA_SITES, Header

PROGRESS_EVERY = 1000


@dataclass(frozen=True)
class ScanRow:
    """One row's values, checked and in the database's own terms."""

    mrn: str
    family_name: str
    given_name: str
    date_of_birth: datetime.date | None
    sex: str
    menopause: str
    scan_date: datetime.date
    manufacturer: str
    serial: str
    site: str
    side: str
    bmd: Decimal
    t_score: Decimal
    z_score: Decimal | None
    vertebrae: str
    bmc: Decimal | None = None
    area: Decimal | None = None
    status: str = ""
    checked_by: str = ""
    checked_at: datetime.datetime | None = None
    checked_warnings: tuple[str, ...] = ()

    @property
    def device_key(self) -> tuple[str, str]:
        return (self.manufacturer, self.serial.upper())

    @property
    def scan_key(self) -> tuple:
        return (self.mrn, self.device_key, self.scan_date)

    @property
    def is_vertebra(self) -> bool:
        return self.site in VERTEBRA_SITES.values()

    @property
    def level(self) -> int:
        return int(self.site[1:])

    @property
    def key(self) -> tuple:
        """What one measurement is: patient, scanner, date, site and side."""
        return (self.mrn, self.device_key, self.scan_date, self.site, self.side)

    @property
    def result(self) -> tuple:
        return (
            self.bmd,
            self.t_score,
            self.z_score,
            same_vertebrae(self.site, self.vertebrae),
            self.bmc,
            self.area,
        )


def same_vertebrae(site: str, vertebrae: str) -> str:
    """Vertebrae as compared: blank is the usual L1–L4 (scans.rules.spine.vertebrae_label)."""
    if site != Site.LUMBAR_SPINE:
        return ""
    return vertebrae_label(vertebrae)


class Status:
    NEW = "new"
    UNCHANGED = "unchanged"
    CONFLICT = "conflict"
    ERROR = "error"


@dataclass
class RowResult:
    number: int  # as in the file, the header being row 1
    cells: list[str]  # the row as read, for the rejected-rows file
    values: ScanRow | None = None
    errors: list[tuple[str, str]] = field(default_factory=list)
    status: str = ""
    warnings: list[str] = field(default_factory=list)  # plausibility (import_checks)

    def fail(self, column: str, message: str, status: str = Status.ERROR) -> None:
        if (column, message) not in self.errors:
            self.errors.append((column, message))
        if self.status != Status.ERROR:
            self.status = status

    @property
    def rejected(self) -> bool:
        return self.status in (Status.ERROR, Status.CONFLICT)

    @property
    def error_text(self) -> str:
        return "; ".join(f"{column}: {message}" for column, message in self.errors)


@dataclass
class ParsedFile:
    header: Header
    rows: list[RowResult]  # every row that is not blank
    date_format: str
    lines: int = 0  # data rows in the file, blank ones included

    @property
    def total(self) -> int:
        return len(self.rows)


Progress = Callable[[str, int, int], None]
