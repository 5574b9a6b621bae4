"""One CSV writer for every CSV the site makes: formulas never reach a spreadsheet."""

import csv
import io

import pytest
from django.urls import reverse

from patients.csvfile import csv_text, safe_cell
from patients.models import AccessLogEntry
from tests.exchange.test_import_pages import PAULA_ROW, job_url, preview
from tests.exchange.test_import_pages import csv_text as import_file


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+Eve", "'+Eve"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\tx", "'\tx"),
        ("-1.9", "-1.9"),
        ("+0.5", "+0.5"),
        ("Fischer", "Fischer"),
        (None, ""),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_the_text_starts_with_a_byte_order_mark_and_header():
    text = csv_text(["name", "t_score"], [["=1+1", "-2.5"]], delimiter=";")
    assert text == "\ufeffname;t_score\r\n'=1+1;-2.5\r\n"


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_the_rejected_rows_file_neutralises_formulas(alice_client, paula):
    text = import_file({**PAULA_ROW, "t_score": "=1+1", "device_serial": "@SUM(A1)"})
    preview(alice_client, text)
    response = alice_client.get(job_url("exchange:import_rejects"))
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, row = rows[0], rows[1]
    assert row[header.index("t_score")] == "'=1+1"
    assert row[header.index("device_serial")] == "'@SUM(A1)"


def test_the_access_log_downloads_as_csv_for_superusers(client, admin_user, alice, paula):
    paula.family_name = "=cmd"
    paula.save()
    client.force_login(alice)
    client.get(reverse("patient_record", args=[paula.pk]))
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:patients_accesslogentry_changelist"),
        {
            "action": "download_csv",
            "_selected_action": list(AccessLogEntry.objects.values_list("pk", flat=True)),
        },
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["username"], r["patient MRN"], r["what"], r["outcome"]) for r in rows] == [
        ("alice", "MRN-PAULA", "Record page", "Shown")
    ]
    assert rows[0]["patient"] == "Paula =cmd"
