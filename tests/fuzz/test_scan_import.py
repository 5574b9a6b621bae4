"""Generated files on the CSV import: a clear message, or exactly what the preview promised."""

import csv
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import event, example, given
from hypothesis import strategies as st

from exchange.csv_import.columns import COLUMNS
from exchange.csv_import.reading import sniff_delimiter
from patients.models import Patient
from scans.models import (
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Device,
    DexaScan,
    ImportJob,
    SiteMeasurement,
    VertebraMeasurement,
)
from tests.fuzz import (
    FUZZ,
    any_text,
    assert_refused_with_a_message,
    clinic_counts,
    date_text,
    grown,
    number_text,
    rolled_back,
    text_or,
)
from tests.tasks import run_tasks

BOM = b"\xef\xbb\xbf"
MB = 1024 * 1024

# Rows start from a good one and have a few cells replaced, so that many get past the first
# check and reach the plan and the commit; the replacements are mostly plausible, or anything.
GOOD_ROWS = (
    {
        "mrn": "MRN-PAULA",
        "scan_date": "2024-05-06",
        "manufacturer": "Hologic",
        "device_serial": "HZ-100",
        "site": "lumbar_spine",
        "bmd": "0.812",
        "t_score": "-2.7",
    },
    {
        "mrn": "MRN-NEW-1",
        "family_name": "Nguyen",
        "given_name": "Mai",
        "date_of_birth": "1950-02-03",
        "sex": "female",
        "menopause": "post",
        "scan_date": "2024-05-06",
        "manufacturer": "GE Lunar",
        "device_serial": "NEW-1",
        "site": "femoral_neck",
        "side": "left",
        "bmd": "0.598",
        "t_score": "-2.2",
    },
)
cells = {
    "mrn": text_or("MRN-PAULA", "mrn-paula", "MRN-NEW-1", "MRN-NEW-2", "'=MRN-3"),
    "family_name": text_or("", "Fischer", "Nguyen"),
    "given_name": text_or("", "Paula", "Mai"),
    "date_of_birth": st.one_of(st.sampled_from(["", "1955-04-12", "1950-02-03"]), date_text),
    "sex": text_or("", "female", "F", "male"),
    "scan_date": st.one_of(st.sampled_from(["2024-05-06", "06/05/2024", "2023-03-03"]), date_text),
    "manufacturer": text_or("Hologic", "GE Lunar", "norland"),
    "device_serial": text_or("HZ-100", "hz-100", "NEW-1", "S" * 101),
    "site": text_or(
        "lumbar_spine", "femoral_neck", "total_hip", "radius_33", "1/3 radius", "L1", "l4"
    ),
    "side": text_or("", "left", "R"),
    "bmd": st.one_of(
        st.decimals(min_value=BMD_MIN, max_value=BMD_MAX, places=3).map(str),
        number_text(BMD_MIN, BMD_MAX, 3),
    ),
    "t_score": number_text(SCORE_MIN, SCORE_MAX, 1),
    "z_score": st.one_of(st.just(""), number_text(SCORE_MIN, SCORE_MAX, 1)),
    "menopause": text_or("", "post", "n/a"),
    "vertebrae": text_or("", "L1-L4", "L2,L3", "L9"),
    "bmc": st.one_of(st.just(""), number_text("0.01", "999.99", 2)),
    "area": st.one_of(st.just(""), number_text("0.01", "999.99", 2)),
    "status": text_or("", "draft", "released", "final"),
    "checked_by": text_or("", "alice"),
    "checked_at": text_or("", "2024-05-06T10:00:00+00:00", "yesterday"),
    "checked_warnings": text_or("", "Total hip (left): a warning | another"),
}
changed_cells = st.lists(
    st.sampled_from(COLUMNS).flatmap(lambda name: st.tuples(st.just(name), cells[name])),
    max_size=3,
).map(dict)
rows = st.builds(
    lambda good, changes: {**good, **changes}, st.sampled_from(GOOD_ROWS), changed_cells
)
header = st.one_of(st.just(list(COLUMNS)), st.permutations(COLUMNS).map(list))
odd_header = st.lists(st.sampled_from([*COLUMNS, "Scan Date", "error", "extra"]), max_size=20)


def csv_bytes(names, rows, delimiter, encoding, bom):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    data = out.getvalue().encode(encoding, errors="replace")
    return (BOM if bom else b"") + data


csv_files = st.builds(
    csv_bytes,
    header,
    st.lists(rows, max_size=8),
    st.sampled_from([",", ";", "\t"]),
    st.just("utf-8"),
    st.booleans(),
)
odd_csv_files = st.builds(
    csv_bytes,
    st.one_of(header, odd_header),
    st.lists(rows, max_size=3),
    st.sampled_from([",", ";", "\t", "|"]),
    st.sampled_from(["utf-8", "latin-1", "utf-16", "cp1252"]),
    st.booleans(),
)
# A good header, then whatever comes: broken quoting, stray NULs, nothing.
header_then_anything = st.builds(
    lambda text: (",".join(COLUMNS) + "\n" + text).encode("utf-8"), any_text
)
files = st.one_of(
    csv_files,
    st.one_of(
        odd_csv_files,
        header_then_anything,
        st.binary(max_size=2000),
        st.sampled_from([b"", b" ", BOM, BOM + b"\r\n\r\n", b"\x00" * 64, b"\n\n\n"]),
    ),
)


def upload(client, data: bytes, date_format: str):
    file = SimpleUploadedFile("scans.csv", data, content_type="text/csv")
    return client.post(reverse("exchange:import"), {"file": file, "date_format": date_format})


def import_through_the_pages(client, data: bytes, date_format: str):
    """Upload, preview, confirm: a refused file writes nothing; an accepted one, the plan."""
    before = clinic_counts()
    response = upload(client, data, date_format)
    if response.status_code == 200:
        assert_refused_with_a_message(response, before)
        return None
    assert response.status_code == 302
    before = clinic_counts()  # the upload stored the file (an ImportJob), nothing clinical
    run_tasks()
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    assert grown(before) == {}, "the preview wrote to the database"
    job = ImportJob.objects.order_by("-pk").first()
    if preview.context["failure"]:
        # Past the lines the upload reads, the worker found the file unreadable.
        assert "Nothing was written" in preview.content.decode()
        return None
    counts = preview.context["counts"]
    rejects = client.get(reverse("exchange:import_rejects", args=[job.pk]))
    if counts.conflicts + counts.errors == 0:
        assert rejects.status_code == 302
    else:
        text = rejects.content.decode("utf-8-sig")
        delimiter = sniff_delimiter(text.splitlines()[0])
        rejected = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        assert len(rejected) == 1 + counts.conflicts + counts.errors

    assert (
        client.post(
            reverse("exchange:import_confirm", args=[job.pk]), {"results": "new"}
        ).status_code
        == 302
    )
    run_tasks()
    changes = grown(before)
    # Flagged rows (plausibility) wait, with their scans, until ticked: the result says so.
    job.refresh_from_db()
    done = job.counts
    assert done["new_measurements"] + done["held_back"] == counts.new_measurements
    assert done["held_back"] <= counts.new_measurements and (
        counts.flagged > 0 or done["held_back"] == 0
    )
    if done["new_measurements"] == 0:
        assert changes == {}, "an import with nothing new wrote to the database"
    else:
        for model, new in (
            (Patient, done["new_patients"]),
            (Device, done["new_devices"]),
            (DexaScan, done["new_scans"]),
        ):
            assert changes.get(model._meta.label, 0) == new, (model, changes, done)
        written = changes.get(SiteMeasurement._meta.label, 0)
        written += changes.get(VertebraMeasurement._meta.label, 0)
        assert written == done["new_measurements"], (changes, done)
    assert client.get(reverse("exchange:import_job", args=[job.pk])).status_code == 200
    return counts


@FUZZ
@given(data=files, date_format=st.sampled_from(["iso", "dmy"] * 4 + ["", "ISO", "ymd", "\x00"]))
@example(data=b"", date_format="iso")
@example(data=BOM, date_format="iso")
@example(data=(",".join(COLUMNS) + "\n").encode(), date_format="iso")
def test_any_file_is_refused_with_a_message_or_imports_exactly_its_preview(
    client_for, alice, paula, hologic, data, date_format
):
    client = client_for(alice)
    with rolled_back():
        counts = import_through_the_pages(client, data, date_format)
    # Seen with --hypothesis-show-statistics: how far the generated files get.
    if counts is None:
        event("refused on upload")
    else:
        event("some rows imported" if counts.new_measurements else "previewed, nothing new")


def test_five_megabytes_of_random_bytes_are_refused_as_not_text(client_for, alice):
    client = client_for(alice)
    noise = random.Random(5).randbytes(5 * MB)
    before = clinic_counts()
    response = upload(client, noise, "iso")
    assert_refused_with_a_message(response, before)
    assert "not UTF-8 text" in response.content.decode()


def test_five_megabytes_of_garbage_rows_are_previewed_and_nothing_is_written(
    client_for, alice, paula
):
    client = client_for(alice)
    row = "MRN-PAULA,,,,,2024-05-06,Hologic,HZ-100,elbow,,abc,-99,,,\r\n"
    data = (",".join(COLUMNS) + "\r\n" + row * (5 * MB // len(row))).encode()
    counts = import_through_the_pages(client, data, "iso")
    assert counts.errors == counts.rows > 80_000
    assert counts.new_measurements == 0


@pytest.mark.parametrize("size", [1001, 4096])
def test_a_file_over_the_limit_is_refused_before_it_is_read(client_for, alice, settings, size):
    settings.SCAN_IMPORT_MAX_BYTES = 1000
    client = client_for(alice)
    before = clinic_counts()
    response = upload(client, b"x" * size, "iso")
    assert_refused_with_a_message(response, before)
    assert "the limit is 1000" in response.content.decode()


@pytest.mark.parametrize("serial", ["écho-1", "straße-1"])
def test_a_registered_scanner_is_found_by_its_serial_whatever_its_letters(
    client_for, alice, paula, serial
):
    # Serials are free text on the scanner page; the import compares them without case.
    Device.objects.create(manufacturer="hologic", serial=serial)
    client = client_for(alice)
    row = {**GOOD_ROWS[0], "device_serial": serial}
    data = csv_bytes(list(COLUMNS), [row], ",", "utf-8", False)
    counts = import_through_the_pages(client, data, "iso")
    assert (counts.new_devices, counts.new_measurements) == (0, 1)
