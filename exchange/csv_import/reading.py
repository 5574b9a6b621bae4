"""Bulk import of DEXA results from CSV: one row per site measurement.

Three steps, so that nothing is written before a clinician has seen what will happen:

1. `parse_file(text)` reads and checks every row on its own and against the other rows of the
   file (pure: no database).
2. `build_plan(parsed)` sets the rows against the database in a few `__in` queries: which
   patients, scanners, scans and measurements are new, which are already there unchanged
   (skipped), and which contradict what is stored (conflicts: reported, never overwritten).
3. `import_commit(...)` parses and plans again inside one transaction and writes the new records
   with bulk operations; imported scans are drafts, so a clinician reviews and releases each,
   unless the clinician says the file holds past results already reported (imported released).

Row numbers are those of the file with the header as row 1, as a spreadsheet shows them.
Errors are (column, message) pairs whose message says what to fix.
"""

import csv
import datetime
import io
import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from patients.authorship import author_fields
from patients.csvfile import FORMULA_STARTS, csv_text
from patients.models import Menopause, Patient, Sex
from patients.numbers import NumberError, format_number, parse_number
from patients.signals import announce_record_changed
from patients.validators import invisible_characters
from scans.models import (
    AREA_MAX,
    AREA_MIN,
    BMC_MAX,
    BMC_MIN,
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Device,
    DexaScan,
    Manufacturer,
    ScanStatus,
    Side,
    Site,
    SiteMeasurement,
    VertebraMeasurement,
)
from scans.rules.spine import parse_vertebrae, vertebrae_label
from scans.services import status_refresh_many

from .. import import_checks, spreadsheets

# The columns, in the order the template and the exports write them. `menopause` and
# `vertebrae` go beyond the list: without them a new patient would be read by age
# alone and a spine result on three vertebrae would come back as L1–L4 (round trip).
COLUMNS = (
    "mrn",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "scan_date",
    "manufacturer",
    "device_serial",
    "site",
    "side",
    "bmd",
    "t_score",
    "z_score",
    "menopause",
    "vertebrae",
    "bmc",
    "area",
    "status",
    "checked_by",
    "checked_at",
    "checked_warnings",
)
REQUIRED_COLUMNS = ("mrn", "scan_date", "manufacturer", "device_serial", "site", "bmd", "t_score")
IDENTITY_COLUMNS = ("family_name", "given_name", "date_of_birth", "sex")
ERROR_COLUMN = "error"

DATE_FORMATS = {"iso": "YYYY-MM-DD", "dmy": "DD/MM/YYYY"}
EARLIEST_BIRTH = datetime.date(1900, 1, 1)
MRN_PATTERN = re.compile(r"^[A-Z0-9-]+$")
PROGRESS_EVERY = 1000
# Keeps every `__in` list under SQLite's oldest limit of 999 parameters.
QUERY_CHUNK = 900


def _words(text: str) -> str:
    """A value as compared with the alias tables: lower case, dashes unified, single spaces."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text.strip().lower()).replace("_", " ")
    return " ".join(text.split())


# The documented alias tables: what each cell may say, compared by `_words`.
SITE_ALIASES: dict[str, Site] = {
    "lumbar spine": Site.LUMBAR_SPINE,
    "lumbar spine l1-l4": Site.LUMBAR_SPINE,
    "l1-l4": Site.LUMBAR_SPINE,
    "spine": Site.LUMBAR_SPINE,
    "femoral neck": Site.FEMORAL_NECK,
    "neck": Site.FEMORAL_NECK,
    "total hip": Site.TOTAL_HIP,
    "radius 33": Site.RADIUS_33,
    "33% radius": Site.RADIUS_33,
    "radius 33%": Site.RADIUS_33,
    "1/3 radius": Site.RADIUS_33,
    "one-third radius": Site.RADIUS_33,
}
# One lumbar vertebra's own result (docs/clinical-rules.md §13): site "L1" … "L4".
VERTEBRA_SITES = {f"l{level}": f"L{level}" for level in range(1, 5)}
SIDE_ALIASES: dict[str, str] = {
    "": Side.NONE,
    "left": Side.LEFT,
    "l": Side.LEFT,
    "right": Side.RIGHT,
    "r": Side.RIGHT,
}
MANUFACTURER_ALIASES: dict[str, Manufacturer] = {
    "hologic": Manufacturer.HOLOGIC,
    "ge lunar": Manufacturer.GE_LUNAR,
    "lunar": Manufacturer.GE_LUNAR,
    "ge": Manufacturer.GE_LUNAR,
    "ge healthcare": Manufacturer.GE_LUNAR,
    "norland": Manufacturer.NORLAND,
    "other": Manufacturer.OTHER,
}
SEX_ALIASES: dict[str, Sex] = {
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
    "male": Sex.MALE,
    "m": Sex.MALE,
}
MENOPAUSE_ALIASES: dict[str, Menopause] = {
    "": Menopause.NOT_APPLICABLE,
    "pre": Menopause.PRE,
    "premenopausal": Menopause.PRE,
    "peri": Menopause.PERI,
    "perimenopausal": Menopause.PERI,
    "post": Menopause.POST,
    "postmenopausal": Menopause.POST,
    "not applicable": Menopause.NOT_APPLICABLE,
    "n/a": Menopause.NOT_APPLICABLE,
    "unknown": Menopause.UNKNOWN,
}

# Spreadsheets run a cell that starts with one of these as a formula; exports prefix it with
# an apostrophe (OWASP "CSV injection"), and the import takes that apostrophe off again.
TEXT_COLUMNS = ("mrn", "family_name", "given_name", "device_serial")


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing in it is imported."""


# --------------------------------------------------------------------------------------------
# Step 1: reading the file (no database)
# --------------------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an uploaded file: UTF-8 with or without a byte-order mark, or the first
    sheet of an Excel workbook (XLSX) as CSV."""
    if not data.strip():
        raise ImportFileError("The file is empty.")
    if spreadsheets.is_xlsx(data):
        try:
            return spreadsheets.xlsx_text(data)
        except ValueError as error:
            raise ImportFileError(str(error)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"The file is not UTF-8 text (an unreadable byte at position {error.start:,}). "
            "Save it from the spreadsheet as “CSV UTF-8” and upload that file."
        ) from None
    if "\x00" in text:
        raise ImportFileError(
            "The file holds binary data, not CSV text. "
            "Save the spreadsheet as “CSV UTF-8” and upload that file."
        )
    return text


def sniff_delimiter(header_line: str) -> str:
    """Comma, semicolon or tab: whichever the header line uses (column names contain none)."""
    counts = {delimiter: header_line.count(delimiter) for delimiter in (",", ";", "\t")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def column_key(name: str) -> str:
    """A header name compared without regard to case, spaces, underscores or dashes."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


COLUMN_KEYS = {column_key(name): name for name in COLUMNS}


@dataclass(frozen=True)
class Header:
    names: tuple[str, ...]  # as written in the file
    positions: dict[str, int]  # our column name → position in the row
    ignored: tuple[str, ...]  # columns of the file we do not read
    delimiter: str


def read_header(cells: list[str], delimiter: str) -> Header:
    """Match the header's names to ours; a missing required column stops the import."""
    positions: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(cells):
        name = COLUMN_KEYS.get(column_key(cell))
        if name is None:
            if cell.strip() and column_key(cell) != ERROR_COLUMN:
                ignored.append(cell.strip())
            continue
        if name in positions:
            raise ImportFileError(
                f"The column {name} appears twice in the header "
                f"(columns {positions[name] + 1} and {index + 1}): keep one."
            )
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(cell.strip() for cell in cells[:6] if cell.strip())[:120]
        raise ImportFileError(
            f"The first line must name the columns; it lacks {', '.join(missing)}"
            + (f" (it reads “{found}”)" if found else "")
            + ". Download the template to see the columns."
        )
    return Header(tuple(cells), positions, tuple(ignored), delimiter)


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


def parse_file(
    text: str,
    *,
    date_format: str = "iso",
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> ParsedFile:
    """Read and check every row, on its own and against the other rows of the file."""
    if date_format not in DATE_FORMATS:
        raise ValueError(f"date_format must be one of {', '.join(DATE_FORMATS)}")
    today = today or timezone.localdate()
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError("The file is empty.")
    first_line = text.splitlines()[0]
    stream = io.StringIO(text, newline="")
    header_row = 1
    if re.fullmatch(r"sep=[,;\t]", first_line):
        # Excel's own hint line, "sep=;", comes before the header.
        delimiter = first_line[-1]
        stream.readline()
        header_row = 2
    else:
        delimiter = sniff_delimiter(first_line)
    records = csv.reader(stream, delimiter=delimiter)
    try:
        header = read_header(next(records), delimiter)
        raw = [(number, cells) for number, cells in enumerate(records, start=header_row + 1)]
    except StopIteration:
        raise ImportFileError("The file has no header line.") from None
    except csv.Error as error:
        reason = str(error)
        if "field limit" in reason:
            # The usual cause is a quote that is never closed, which swallows the rest.
            reason = (
                f"one value runs over {csv.field_size_limit():,} characters: a quote that is "
                "never closed, or not a CSV file at all"
            )
        raise ImportFileError(
            f"The file could not be read as CSV ({reason}). Save it from the spreadsheet as "
            "“CSV UTF-8” and upload that file."
        ) from None

    rows = []
    data_rows = [(number, cells) for number, cells in raw if any(cell.strip() for cell in cells)]
    for done, (number, cells) in enumerate(data_rows, start=1):
        rows.append(_parse_row(number, cells, header, date_format, today))
        if progress and (done % PROGRESS_EVERY == 0 or done == len(data_rows)):
            progress("read", done, len(data_rows))
    _check_identities_agree(rows)
    import_checks.check_scans_agree(rows)
    _check_repeats(rows)
    return ParsedFile(header=header, rows=rows, date_format=date_format, lines=len(raw))


def _parse_row(number, cells, header: Header, date_format, today) -> RowResult:
    row = RowResult(number=number, cells=cells)
    extra = [cell for cell in cells[len(header.names) :] if cell.strip()]
    if extra:
        row.fail(
            "row",
            f"has {len(cells)} values but the header has {len(header.names)} columns — "
            "a decimal comma in a comma-separated file? Use a decimal point, or quote the value.",
        )
        return row

    def cell(name: str) -> str:
        position = header.positions.get(name)
        if position is None or position >= len(cells):
            return ""
        value = cells[position].strip()
        if name in TEXT_COLUMNS and value[:1] == "'" and value[1:2] in FORMULA_STARTS:
            value = value[1:]
        return value

    fields = {}
    checks = {
        "mrn": _mrn,
        "family_name": _name,
        "given_name": _name,
        "date_of_birth": lambda text: _birth_date(text, date_format, today),
        "sex": lambda text: _choice(text, SEX_ALIASES, "female or male", allow_empty=True),
        "menopause": lambda text: _choice(
            text, MENOPAUSE_ALIASES, "pre, peri, post, unknown or not_applicable"
        ),
        "scan_date": lambda text: _scan_date(text, date_format, today),
        "manufacturer": lambda text: _choice(
            text, MANUFACTURER_ALIASES, "Hologic, GE Lunar, Norland or Other"
        ),
        "device_serial": _serial,
        "site": _site,
        "side": lambda text: _choice(text, SIDE_ALIASES, "left, right, L, R or empty"),
        "bmd": lambda text: _number(text, BMD_MIN, BMD_MAX, 3, unit=" g/cm²"),
        "t_score": lambda text: _number(text, SCORE_MIN, SCORE_MAX, 1),
        "z_score": lambda text: _number(text, SCORE_MIN, SCORE_MAX, 1, required=False),
        "vertebrae": _vertebrae,
        "bmc": lambda text: _number(text, BMC_MIN, BMC_MAX, 2, unit=" g", required=False),
        "area": lambda text: _number(text, AREA_MIN, AREA_MAX, 2, unit=" cm²", required=False),
        "status": import_checks.parse_status,
        "checked_by": lambda text: _name(text)[:150],
        "checked_at": import_checks.parse_checked_at,
        "checked_warnings": import_checks.parse_checked_warnings,
    }
    for name, check in checks.items():
        try:
            fields[name] = check(cell(name))
        except ValueError as error:
            row.fail(name, str(error))
    if row.errors:
        return row

    site, side = fields["site"], fields["side"]
    if site in VERTEBRA_SITES.values():
        for column in ("side", "vertebrae", "z_score"):
            if fields[column]:
                row.fail(column, f"a single vertebra ({site}) has no {column} — leave it empty.")
    elif site == Site.LUMBAR_SPINE and side:
        row.fail("side", "the lumbar spine has no side — leave it empty.")
    elif site != Site.LUMBAR_SPINE and not side:
        row.fail("side", f"choose left or right for {site}.")
    if fields["vertebrae"] and site not in (Site.LUMBAR_SPINE, *VERTEBRA_SITES.values()):
        row.fail("vertebrae", "vertebrae apply to the lumbar spine only — leave it empty.")
    born = fields["date_of_birth"]
    if born is not None and fields["scan_date"] < born:
        row.fail("scan_date", f"is before the date of birth ({born:%Y-%m-%d}) — check both dates.")
    if fields["sex"] == Sex.MALE and fields["menopause"] != Menopause.NOT_APPLICABLE:
        row.fail("menopause", "leave it empty (not applicable) for a male patient.")
    if row.errors:
        return row

    row.values = ScanRow(
        mrn=fields["mrn"],
        family_name=fields["family_name"],
        given_name=fields["given_name"],
        date_of_birth=born,
        sex=fields["sex"] or "",
        menopause=fields["menopause"] if cell("menopause") else "",
        scan_date=fields["scan_date"],
        manufacturer=fields["manufacturer"],
        serial=fields["device_serial"],
        site=site,
        side=side,
        bmd=fields["bmd"],
        t_score=fields["t_score"],
        z_score=fields["z_score"],
        vertebrae=fields["vertebrae"] or ("L1-L4" if site == Site.LUMBAR_SPINE else ""),
        bmc=fields["bmc"],
        area=fields["area"],
        status=fields["status"],
        checked_by=fields["checked_by"],
        checked_at=fields["checked_at"],
        checked_warnings=fields["checked_warnings"],
    )
    return row


def _mrn(text: str) -> str:
    mrn = text.strip().upper()
    if not mrn:
        raise ValueError("is empty — every row needs the patient's MRN.")
    if len(mrn) > 32 or not MRN_PATTERN.match(mrn):
        raise ValueError(f"“{text}” is not an MRN: use up to 32 letters, digits and dashes.")
    return mrn


def _name(text: str) -> str:
    if len(text) > 100:
        raise ValueError("is longer than 100 characters — check the column.")
    _visible(text)
    return text


def _serial(text: str) -> str:
    if not text:
        raise ValueError("is empty — give the serial number on the scanner's label.")
    if len(text) > 100:
        raise ValueError("is longer than 100 characters — check the column.")
    _visible(text)
    return text


def _visible(text: str) -> None:
    # The same rule as the forms' (patients.validators): no bidi controls or invisible marks.
    if found := invisible_characters(text):
        raise ValueError(f"contains a character you cannot see ({', '.join(found)}) — retype it.")


def _choice(text: str, aliases: dict, allowed: str, *, allow_empty: bool = False):
    if allow_empty and not text:
        return None
    value = aliases.get(_words(text))
    if value is None:
        shown = f"“{text}”" if text else "empty"
        raise ValueError(f"{shown} is not one of {allowed}.")
    return value


def _site(text: str) -> str:
    if _words(text) in VERTEBRA_SITES:
        return VERTEBRA_SITES[_words(text)]
    site = SITE_ALIASES.get(_words(text))
    if site is None:
        shown = f"“{text}”" if text else "empty, it"
        raise ValueError(
            f"{shown} is not a known site (use lumbar_spine, femoral_neck, total_hip, radius_33, "
            "or L1 to L4 for one vertebra)."
        )
    return site


def _vertebrae(text: str) -> str:
    if not text:
        return ""
    try:
        parse_vertebrae(text)
    except ValueError as error:
        raise ValueError(f"“{text}” cannot be read ({error}): write L1-L4 or L1,L2,L4.") from None
    if len(text) > 20:
        raise ValueError("is longer than 20 characters: write L1-L4 or L1,L2,L4.")
    return text


ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def parse_date(text: str, date_format: str) -> datetime.date:
    """A date written in the format chosen for the file; the message says which was expected."""
    expected = DATE_FORMATS[date_format]
    if not text:
        raise ValueError(f"is empty — write the date as {expected}.")
    match = (ISO_DATE if date_format == "iso" else DMY_DATE).match(text)
    if match:
        numbers = [int(part) for part in match.groups()]
        year, month, day = numbers if date_format == "iso" else reversed(numbers)
        try:
            return datetime.date(year, month, day)
        except ValueError:
            raise ValueError(f"{text} is not a date in the calendar — check it.") from None
    other = "dmy" if date_format == "iso" else "iso"
    hint = ""
    if (DMY_DATE if other == "dmy" else ISO_DATE).match(text):
        hint = f" It looks like {DATE_FORMATS[other]}: upload the file again choosing that format."
    raise ValueError(
        f"“{text}” is not a date in {expected}, the format chosen for this file.{hint}"
    )


def _scan_date(text: str, date_format: str, today: datetime.date) -> datetime.date:
    day = parse_date(text, date_format)
    if day > today:
        raise ValueError(f"{day:%Y-%m-%d} is in the future — check the date.")
    if day < EARLIEST_BIRTH:
        raise ValueError(f"{day:%Y-%m-%d} is before 1900 — check the year.")
    return day


def _birth_date(text: str, date_format: str, today: datetime.date) -> datetime.date | None:
    if not text:
        return None
    day = parse_date(text, date_format)
    if day > today:
        raise ValueError(f"{day:%Y-%m-%d} is in the future — check the date.")
    if day < EARLIEST_BIRTH:
        raise ValueError(f"{day:%Y-%m-%d} is before 1900 — check the year.")
    return day


def _number(
    text: str, low: str, high: str, places: int, *, unit: str = "", required: bool = True
) -> Decimal | None:
    """A number as printed on a scanner report: typographic minus and decimal comma accepted."""
    if not text:
        if required:
            raise ValueError("is empty — copy the value from the report.")
        return None
    try:
        value = parse_number(text, field=f"“{text}”")
    except NumberError:
        raise ValueError(
            f"“{text}” is not a number — copy the value from the report (−1.9, –1,9 and 0,812 "
            "are read as printed)."
        ) from None
    low_value, high_value = Decimal(low), Decimal(high)
    if not low_value <= value <= high_value:
        plus = low_value < 0
        raise ValueError(
            f"{format_number(value)}{unit} is outside {format_number(low_value)}…"
            f"{format_number(high_value, plus=plus)}{unit} — check the report."
        )
    step = Decimal(1).scaleb(-places)
    if value != value.quantize(step):
        decimals = "one decimal" if places == 1 else f"{places} decimals"
        raise ValueError(
            f"{format_number(value)} has more than {decimals} — scanners report "
            f"{'scores to 0.1' if places == 1 else 'BMD to 0.001 g/cm²'}; check the report."
        )
    return value.quantize(step)


def _check_identities_agree(rows: list[RowResult]) -> None:
    """Rows of one MRN must not describe two different people."""
    by_mrn: dict[str, list[RowResult]] = defaultdict(list)
    for row in rows:
        if row.values is not None:
            by_mrn[row.values.mrn].append(row)
    for mrn, group in by_mrn.items():
        for column in (*IDENTITY_COLUMNS, "menopause"):
            seen: dict[object, int] = {}
            for row in group:
                value = _identity_value(row.values, column)
                if value not in (None, ""):
                    seen.setdefault(value, row.number)
            if len(seen) > 1:
                first, second = sorted(seen.values())[:2]
                for row in group:
                    row.fail(
                        column,
                        f"rows {first} and {second} give different {IDENTITY_PLURALS[column]} "
                        f"for MRN {mrn} — correct the wrong one.",
                    )


IDENTITY_PLURALS = {
    "family_name": "family names",
    "given_name": "given names",
    "date_of_birth": "dates of birth",
    "sex": "sexes",
    "menopause": "menopausal statuses",
}


def _identity_value(values: ScanRow, column: str):
    value = getattr(values, column)
    if column in ("family_name", "given_name"):
        return value.casefold()
    return value


def _check_repeats(rows: list[RowResult]) -> None:
    """A measurement given twice: the copy is refused; two different results: both are."""
    first: dict[tuple, RowResult] = {}
    for row in rows:
        if row.values is None or row.status == Status.ERROR:
            continue
        earlier = first.setdefault(row.values.key, row)
        if earlier is row:
            continue
        if earlier.values.result == row.values.result:
            row.fail("row", f"repeats row {earlier.number} — delete one of the two.")
            continue
        column = _first_difference(earlier.values, row.values)
        for one, other in ((earlier, row), (row, earlier)):
            one.fail(
                column,
                f"row {other.number} gives another result for the same patient, scan date, "
                "scanner, site and side — keep the right one.",
            )


def _first_difference(a: ScanRow, b: ScanRow) -> str:
    for column, left, right in zip(
        ("bmd", "t_score", "z_score", "vertebrae", "bmc", "area"), a.result, b.result, strict=True
    ):
        if left != right:
            return column
    return "row"


# --------------------------------------------------------------------------------------------
# Step 2: the plan against the database (reads only)
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Step 3: writing
# --------------------------------------------------------------------------------------------


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


def template_csv() -> str:
    """The header and one example row, as the upload page offers it."""
    example = {
        "mrn": "EXAMPLE-0001",
        "family_name": "Example",
        "given_name": "Patient",
        "date_of_birth": "1955-04-12",
        "sex": "female",
        "scan_date": "2024-03-01",
        "manufacturer": "Hologic",
        "device_serial": "HZ-100",
        "site": "femoral_neck",
        "side": "left",
        "bmd": "0.598",
        "t_score": "-2.2",
        "z_score": "-0.8",
        "menopause": "post",
        "vertebrae": "",
        "bmc": "",
        "area": "",
        "status": "",
        "checked_by": "",
        "checked_at": "",
        "checked_warnings": "",
    }
    # A vertebra of the same scan's spine, as vendor reports list each one (optional rows).
    vertebra = {
        **example,
        "site": "L1",
        "side": "",
        "bmd": "0.781",
        "t_score": "-1.6",
        "z_score": "",
        "bmc": "11.92",
        "area": "15.26",
    }
    return csv_text(
        COLUMNS,
        [[example[name] for name in COLUMNS], [vertebra[name] for name in COLUMNS]],
    )
