"""Step 1: reading the file, with no database. The text of an upload (CSV, or the first sheet of
an XLSX workbook), its delimiter and header, every row checked on its own, and the rows checked
against each other.
"""

import csv
import datetime
import io
import re
from collections import defaultdict

from django.utils import timezone

from exchange import import_checks, spreadsheets
from patients.csvfile import FORMULA_STARTS
from patients.models import Menopause, Sex
from scans.models import (
    AREA_MAX,
    AREA_MIN,
    BMC_MAX,
    BMC_MIN,
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Site,
)

from .cells import (
    parse_birth_date,
    parse_choice,
    parse_mrn,
    parse_name,
    parse_report_number,
    parse_scan_date,
    parse_serial,
    parse_site,
    parse_vertebrae_text,
)
from .columns import (
    DATE_FORMATS,
    IDENTITY_COLUMNS,
    MANUFACTURER_ALIASES,
    MENOPAUSE_ALIASES,
    SEX_ALIASES,
    SIDE_ALIASES,
    TEXT_COLUMNS,
    VERTEBRA_SITES,
    Header,
    ImportFileError,
    read_header,
)
from .rows import PROGRESS_EVERY, ParsedFile, Progress, RowResult, ScanRow, Status


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
        "mrn": parse_mrn,
        "family_name": parse_name,
        "given_name": parse_name,
        "date_of_birth": lambda text: parse_birth_date(text, date_format, today),
        "sex": lambda text: parse_choice(text, SEX_ALIASES, "female or male", allow_empty=True),
        "menopause": lambda text: parse_choice(
            text, MENOPAUSE_ALIASES, "pre, peri, post, unknown or not_applicable"
        ),
        "scan_date": lambda text: parse_scan_date(text, date_format, today),
        "manufacturer": lambda text: parse_choice(
            text, MANUFACTURER_ALIASES, "Hologic, GE Lunar, Norland or Other"
        ),
        "device_serial": parse_serial,
        "site": parse_site,
        "side": lambda text: parse_choice(text, SIDE_ALIASES, "left, right, L, R or empty"),
        "bmd": lambda text: parse_report_number(text, BMD_MIN, BMD_MAX, 3, unit=" g/cm²"),
        "t_score": lambda text: parse_report_number(text, SCORE_MIN, SCORE_MAX, 1),
        "z_score": lambda text: parse_report_number(text, SCORE_MIN, SCORE_MAX, 1, required=False),
        "vertebrae": parse_vertebrae_text,
        "bmc": lambda text: parse_report_number(
            text, BMC_MIN, BMC_MAX, 2, unit=" g", required=False
        ),
        "area": lambda text: parse_report_number(
            text, AREA_MIN, AREA_MAX, 2, unit=" cm²", required=False
        ),
        "status": import_checks.parse_status,
        "checked_by": lambda text: parse_name(text)[:150],
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
