"""Vendor exports saved as Excel workbooks (XLSX), read with openpyxl as the CSV import's text."""

import csv
import datetime
import io
import zipfile

from openpyxl import load_workbook

XLSX_START = b"PK\x03\x04"  # a workbook is a ZIP file


def is_xlsx(data: bytes) -> bool:
    return data.startswith(XLSX_START)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        # Excel keeps dates as date-times; a time of midnight is a date typed as one.
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_text(data: bytes) -> str:
    """The first worksheet as CSV text (values as shown; formulas by their last saved value).

    Dates stored as dates are written YYYY-MM-DD; ValueError when the file is no workbook.
    """
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise ValueError(f"The file is not an Excel workbook (XLSX): {error}.") from None
    try:
        sheet = workbook.worksheets[0]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for row in sheet.iter_rows(values_only=True):
            cells = [_cell(value) for value in row]
            if any(cells):
                writer.writerow(cells)
        return out.getvalue()
    finally:
        workbook.close()
