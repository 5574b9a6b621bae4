"""The import asks whether a file holds new results (imported as drafts, each to be reviewed)
or past results already reported (imported as released, with who decided so and when)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from exchange.csv_import.columns import ImportFileError
from exchange.csv_import.writing import import_commit
from scans.models import DexaScan, PatientStatus, SiteMeasurement
from tests.exchange.test_import_pages import NEW_ROW, confirm, csv_text, job_url, preview

ROWS = (
    {**NEW_ROW, "scan_date": "2020-05-06", "bmd": "0.900", "t_score": "-1.4"},
    {**NEW_ROW, "scan_date": "2024-05-06", "bmd": "0.780", "t_score": "-2.6"},
)


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_the_preview_asks_which_results_the_file_holds(alice_client):
    page = preview(alice_client, csv_text(*ROWS)).content.decode()
    assert "What results does this file hold?" in page
    assert "New results, not yet reviewed: import the scans as drafts" in page
    assert "Past results already reported to the patients: import the scans as released" in page
    assert 'name="results" id="id_results_0" value="new" required>' in page, "none preselected"


def test_confirming_without_an_answer_says_so_beside_the_question_and_imports_nothing(
    alice_client,
):
    preview(alice_client, csv_text(*ROWS))
    response = alice_client.post(job_url("exchange:import_confirm"))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index("What results does this file hold?")
    assert "Choose whether the file holds new results (imported as drafts)" in page[start:]
    assert SiteMeasurement.objects.count() == 0
    # The answer given, the same preview imports.
    assert confirm(alice_client, "new").status_code == 302
    assert SiteMeasurement.objects.count() == 2


def test_new_results_are_drafts_no_one_has_reviewed(
    alice_client, django_capture_on_commit_callbacks
):
    preview(alice_client, csv_text(*ROWS))
    with django_capture_on_commit_callbacks(execute=True):
        confirm(alice_client, "new")
    scans = DexaScan.objects.all()
    assert {(s.status, s.reviewed_by, s.reported_before_import) for s in scans} == {
        ("draft", None, False)
    }
    status = PatientStatus.objects.get(patient__mrn="MRN-NEW-1")
    assert status.latest_scan is None and status.category == ""


def test_past_results_are_released_with_who_decided_and_when(
    alice_client, alice, django_capture_on_commit_callbacks
):
    preview(alice_client, csv_text(*ROWS))
    before = datetime.datetime.now(datetime.UTC)
    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(alice_client, "past")
    assert response.status_code == 302
    scans = list(DexaScan.objects.order_by("date"))
    assert [(s.status, s.reviewed_by, s.reported_before_import) for s in scans] == [
        ("released", alice, True),
        ("released", alice, True),
    ]
    assert all(s.reviewed_at >= before for s in scans)
    history = scans[0].history.first()
    assert history.history_user == alice
    assert history.history_change_reason == "CSV import scans.csv, past results already reported"
    # Released: the reading follows at once, change against the earlier past result included.
    status = PatientStatus.objects.get(patient__mrn="MRN-NEW-1")
    assert (status.latest_scan_date, status.category) == (datetime.date(2024, 5, 6), "osteoporosis")
    assert status.significant_loss
    done = alice_client.get(job_url()).content.decode()
    assert "Scans added (released: past results already reported)" in done
    assert "recorded as decided by alice" in done
    scan_page = alice_client.get(scans[0].get_absolute_url()).content.decode()
    assert "imported as a result already reported" in scan_page


def test_past_results_reach_the_patients_portal(
    alice_client, paula, django_capture_on_commit_callbacks
):
    row = {**NEW_ROW, "mrn": "MRN-PAULA", "family_name": "", "given_name": ""}
    row.update(date_of_birth="", sex="")
    preview(alice_client, csv_text(row))
    with django_capture_on_commit_callbacks(execute=True):
        confirm(alice_client, "past")
    alice_client.force_login(paula.user)
    page = alice_client.get(reverse("portal:home")).content.decode()
    assert "Scan of 6 May 2024" in page


def test_past_results_need_the_clinician_who_decides(db):
    with pytest.raises(ImportFileError, match="needs the clinician who decides"):
        import_commit(text=csv_text(*ROWS), date_format="iso", past_results=True)
    assert DexaScan.objects.count() == 0


def test_the_command_imports_past_results_as_decided_by_a_named_clinician(tmp_path, alice):
    path = tmp_path / "past.csv"
    path.write_text(csv_text(*ROWS), encoding="utf-8")
    out = io.StringIO()
    call_command("import_scans", str(path), "--commit", "--past-results", "alice", stdout=out)
    assert "2 new scans (released)" in out.getvalue()
    assert {(s.status, s.reviewed_by) for s in DexaScan.objects.all()} == {("released", alice)}
    with pytest.raises(CommandError, match="needs the username of an active clinician"):
        call_command("import_scans", str(path), "--commit", "--past-results", "nobody")
