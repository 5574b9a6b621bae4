"""Reading a CSV file of scan results, before the database is asked anything."""

import datetime
from decimal import Decimal

import pytest

from exchange.csv_import.columns import ImportFileError
from exchange.csv_import.reading import decode, parse_file

TODAY = datetime.date(2025, 6, 1)
HEADER = "mrn,scan_date,manufacturer,device_serial,site,side,bmd,t_score,z_score"


def only_row(text: str, **options):
    [row] = parse_file(text, today=TODAY, **options).rows
    return row


@pytest.mark.parametrize(
    ("site", "side", "expected"),
    [
        ("lumbar_spine", "", ("lumbar_spine", "")),
        ("L1-L4", "", ("lumbar_spine", "")),
        ("L1–L4", "", ("lumbar_spine", "")),
        ("Spine", "", ("lumbar_spine", "")),
        ("Femoral Neck", "L", ("femoral_neck", "left")),
        ("NECK", "r", ("femoral_neck", "right")),
        ("Total Hip", "Left", ("total_hip", "left")),
        ("total_hip", "RIGHT", ("total_hip", "right")),
        ("33% Radius", "l", ("radius_33", "left")),
        ("radius_33", "R", ("radius_33", "right")),
    ],
)
def test_sites_and_sides_are_read_from_the_alias_table(site, side, expected):
    row = only_row(f"{HEADER}\nA-1,2024-01-02,Hologic,H-1,{site},{side},0.800,-1.0,\n")
    assert row.errors == []
    assert (row.values.site, row.values.side) == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [("Hologic", "hologic"), ("GE Lunar", "ge_lunar"), ("lunar", "ge_lunar"), ("GE", "ge_lunar"),
     ("ge_lunar", "ge_lunar"), ("NORLAND", "norland"), ("other", "other")],
)  # fmt: skip
def test_manufacturers_are_read_from_the_alias_table(name, code):
    row = only_row(f"{HEADER}\nA-1,2024-01-02,{name},H-1,spine,,0.800,-1.0,\n")
    assert row.values.manufacturer == code


def test_report_numbers_with_a_typographic_minus_and_decimal_comma_are_read():
    row = only_row(
        "mrn;scan_date;manufacturer;device_serial;site;side;bmd;t_score;z_score\n"
        "A-1;2024-01-02;Hologic;H-1;spine;;0,812;\u22122,7;\u22121,10\n"
    )
    assert (row.values.bmd, row.values.t_score, row.values.z_score) == (
        Decimal("0.812"),
        Decimal("-2.7"),
        Decimal("-1.1"),
    )


def test_excels_separator_line_is_followed_and_rows_keep_their_file_numbers():
    text = f"sep=;\n{HEADER.replace(',', ';')}\nA-1;2024-01-02;Hologic;H-1;elbow;;0.8;-1;\n"
    row = only_row(text)
    assert row.number == 3
    assert row.errors[0][0] == "site"


def test_blank_lines_are_skipped_but_counted_in_the_row_numbers():
    text = f"{HEADER}\n\nA-1,2024-01-02,Hologic,H-1,spine,,0.8,-1,\n,,,,,,,,\n"
    parsed = parse_file(text, today=TODAY)
    assert [row.number for row in parsed.rows] == [3]
    assert (parsed.total, parsed.lines) == (1, 3)


def test_header_names_ignore_case_spaces_and_underscores_and_report_unknown_columns():
    text = (
        "MRN,Scan Date,MANUFACTURER,device serial,Site,SIDE,B_M_D,T-Score,comment\n"
        "A-1,2024-01-02,Hologic,H-1,spine,,0.8,-1,hello\n"
    )
    parsed = parse_file(text, today=TODAY)
    assert parsed.header.ignored == ("comment",)
    assert parsed.rows[0].errors == []


def test_a_value_in_an_extra_column_says_what_probably_went_wrong():
    row = only_row(f"{HEADER}\nA-1,2024-01-02,Hologic,H-1,spine,,0,812,-1.0,-0.5\n")
    [(column, message)] = row.errors
    assert column == "row" and "decimal comma" in message


def test_a_formula_guard_from_the_export_is_taken_off_again():
    row = only_row(f"{HEADER}\n'-A1,2024-01-02,Hologic,'=H1,spine,,0.8,-1,\n")
    assert (row.values.mrn, row.values.serial) == ("-A1", "=H1")
    row = only_row(f"{HEADER}\nA-1,2024-01-02,Hologic,'H1,spine,,0.8,-1,\n")
    assert row.values.serial == "'H1", "an apostrophe before anything else is kept"


def test_a_duplicated_column_stops_the_file():
    with pytest.raises(ImportFileError, match="The column bmd appears twice"):
        parse_file(f"{HEADER},BMD\n", today=TODAY)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"\xff\xfe\x00m\x00r\x00n", "not UTF-8 text"),
        (b"mrn,bmd\x00\n", "binary data"),
    ],
)
def test_unreadable_files_say_why(data, message):
    with pytest.raises(ImportFileError, match=message):
        decode(data)


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    text = decode(
        b"\xef\xbb\xbf" + f"{HEADER}\nA-1,2024-01-02,Hologic,H-1,spine,,0.8,-1,\n".encode()
    )
    assert only_row(text).values.mrn == "A-1"
