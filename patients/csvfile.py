"""The one CSV writer of the site: every CSV file it makes is written here.

A cell that a spreadsheet would run as a formula — one starting with =, +, -, @, a tab or a
carriage return (OWASP, "CSV injection") — is written with a leading apostrophe, which the
spreadsheet shows as text. A plain number such as -1.9 is left as it is: it is not a formula,
and a T-score must stay a number. The import removes the apostrophe again from text columns.
"""

import csv
import re
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
# Lets Excel open the file as UTF-8; the import accepts it.
BYTE_ORDER_MARK = "\ufeff"


def safe_cell(value) -> str:
    """The cell as text, neutralised if a spreadsheet would read it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text):
        return f"'{text}"
    return text


class _Line:
    """A file-like object whose write() hands the line back, so lines can be streamed."""

    def write(self, text: str) -> str:
        return text


def csv_lines(
    header: Iterable | None, rows: Iterable[Iterable], *, delimiter: str = ","
) -> Iterator[str]:
    """The CSV text line by line: the header, then each row, every cell made safe.

    The file starts with the header (after the byte-order mark); with no header, the lines
    continue a file already begun.
    """
    writer = csv.writer(_Line(), delimiter=delimiter, lineterminator="\r\n")
    if header is not None:
        yield BYTE_ORDER_MARK + writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        yield writer.writerow([safe_cell(cell) for cell in row])


def csv_text(header: Iterable | None, rows: Iterable[Iterable], **options) -> str:
    """The whole CSV text at once, for small files."""
    return "".join(csv_lines(header, rows, **options))
