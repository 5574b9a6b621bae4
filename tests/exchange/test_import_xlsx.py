"""Vendor exports saved as XLSX go through the same import as CSV, BMC and area included."""

import datetime
import io

from openpyxl import Workbook

from exchange.csv_import.columns import ImportFileError
from exchange.csv_import.reading import decode
from scans.models import SiteMeasurement
from tests.exchange.test_import_pages import confirm, preview

HEADER = ["MRN", "Scan date", "Manufacturer", "Device serial", "Site", "Side", "BMD", "T-score"]
# Paula's spine as a vendor's sheet holds it: the date a date cell, the numbers number cells.
SPINE = ["MRN-PAULA", datetime.datetime(2024, 5, 6), "Hologic", "HZ-100", "lumbar_spine", None]
SPINE += [0.812, -2.7, 46.12, 56.8]


def workbook(*rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([*HEADER, "BMC", "Area"])
    for row in rows:
        sheet.append(row)
    book.create_sheet("Notes").append(["not read"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_first_sheet_is_read_with_dates_and_numbers_as_shown():
    text = decode(workbook(SPINE))
    assert text.splitlines()[1] == (
        "MRN-PAULA,2024-05-06,Hologic,HZ-100,lumbar_spine,,0.812,-2.7,46.12,56.8"
    )
    assert "not read" not in text


def test_a_broken_workbook_is_named_as_such():
    try:
        decode(b"PK\x03\x04 broken")
    except ImportFileError as error:
        assert "not an Excel workbook" in str(error)
    else:
        raise AssertionError("a broken workbook was read")


def test_an_xlsx_upload_is_previewed_and_imported_with_bmc_and_area(
    client_for, alice, paula, hologic
):
    client = client_for(alice)
    data = workbook(SPINE)
    page = preview(client, data, name="vendor.xlsx")
    assert page.status_code == 200
    confirm(client)
    spine = SiteMeasurement.objects.get()
    assert (str(spine.bmd), str(spine.t_score), str(spine.bmc), str(spine.area)) == (
        "0.812",
        "-2.7",
        "46.12",
        "56.80",
    )
