"""The importer's plausibility checks (docs/clinical-rules.md §13): the dry run lists flagged
rows; they are written only when ticked as checked against the report."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command

from exchange.csv_import.columns import COLUMNS
from exchange.csv_import.writing import import_commit, import_preview
from scans.models import DexaScan, SiteMeasurement, VertebraMeasurement
from tests.exchange.test_import_pages import confirm, job_url, preview
from tests.scans.test_scan_plausibility_pages import released, spine
from tests.tasks import run_tasks


def csv_text(*rows: dict) -> str:
    """A file in the import's own columns, as the template and the exports write them."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in COLUMNS})
    return out.getvalue()


ROW = {
    "mrn": "MRN-PAULA",
    "scan_date": "2024-05-06",
    "manufacturer": "Hologic",
    "device_serial": "HZ-100",
}


def hip_row(bmd, t_score, site="total_hip", **more):
    return {**ROW, "site": site, "side": "left", "bmd": bmd, "t_score": t_score, **more}


def spine_row(bmd, t_score, **more):
    return {**ROW, "site": "lumbar_spine", "bmd": bmd, "t_score": t_score, **more}


def flagged_rows(*rows) -> dict[int, list[str]]:
    plan = import_preview(text=csv_text(*rows), date_format="iso")
    return {row.number: row.warnings for row in plan.flagged}


@pytest.mark.parametrize(
    ("row", "flagged"),
    [
        (hip_row("0.858", "0.3", "femoral_neck"), False),
        (hip_row("0.858", "0.4", "femoral_neck"), True),
        (hip_row("0.942", "-0.3"), False),
        (hip_row("0.400", "-1.0"), True),
    ],
)
def test_the_dry_run_flags_a_hip_row_beyond_the_nhanes_check(paula, hologic, row, flagged):
    found = flagged_rows(row)
    assert bool(found) is flagged
    if flagged:
        assert "NHANES III" in found[2][0]


@pytest.mark.parametrize(("t_score", "flagged"), [("-1.0", False), ("-1.6", False), ("-0.9", True)])
def test_the_dry_run_flags_a_row_off_its_scanners_line(
    paula, hologic, line_of_five, t_score, flagged
):
    found = flagged_rows(spine_row("0.870", t_score))
    assert bool(found) is flagged


@pytest.mark.parametrize(("bmd", "flagged"), [("0.900", False), ("0.899", True)])
def test_the_dry_run_flags_a_change_beyond_the_rate_since_the_last_released_scan(
    paula, hologic, bmd, flagged
):
    released(paula, hologic, datetime.date(2024, 1, 1), [spine("1.000", "0.0")])
    found = flagged_rows(spine_row(bmd, "0.0"))
    assert bool(found) is flagged


def test_an_earlier_row_of_a_file_of_past_results_counts_as_the_previous_scan(paula, hologic):
    earlier = spine_row("1.000", "0.0", scan_date="2024-01-01", status="released")
    later = spine_row("0.850", "-1.5", status="released")
    text = csv_text(earlier, later)
    kept = import_preview(text=text, date_format="iso", keep_status=True)
    assert [row.number for row in kept.flagged] == [3]
    # As new results (drafts), neither is a released previous scan.
    assert import_preview(text=text, date_format="iso").flagged == []


def test_a_flagged_row_is_imported_only_when_ticked(client, alice, paula, hologic):
    client.force_login(alice)
    good, bad = spine_row("0.812", "-2.7"), hip_row("0.400", "-1.0")
    page = preview(client, csv_text(good, bad))
    assert page.context["counts"].flagged == 1
    html = page.content.decode()
    assert 'name="checked" value="3"' in html and "NHANES III" in html

    other = {**good, "scan_date": "2023-05-06"}  # another scan of the same file
    page = preview(client, csv_text(good, bad, other))
    response = confirm(client)
    assert response.status_code == 302
    # The flagged row's scan waits whole; the other scan is imported.
    assert [str(s.date) for s in DexaScan.objects.all()] == ["2023-05-06"]
    result = client.get(job_url())
    assert result.context["counts"].held_back == 2
    assert "Rows of scans with a flagged result not ticked" in result.content.decode()

    # The same file again: the left-out rows are new, and imported once the flag is ticked.
    page = preview(client, csv_text(good, bad, other))
    client.post(job_url("exchange:import_confirm"), {"results": "new", "checked": ["3"]})
    run_tasks()
    assert SiteMeasurement.objects.count() == 3
    scan = DexaScan.objects.get(date="2024-05-06")
    assert scan.checked_by == "alice" and scan.checked_at is not None
    assert scan.checked_warnings[0].startswith("Total hip (left): T-score −1.0 does not fit")
    page = client.get(scan.get_absolute_url()).content.decode()
    assert "Checked against the report</strong> by alice" in page


def test_the_command_imports_flagged_rows_named_as_checked(tmp_path, paula, hologic, capsys):
    path = tmp_path / "scans.csv"
    path.write_text(csv_text(spine_row("0.812", "-2.7"), hip_row("0.400", "-1.0")))
    call_command("import_scans", str(path), "--commit")
    assert SiteMeasurement.objects.count() == 0
    assert "Row 3 (flagged) Total hip (left)" in capsys.readouterr().out
    call_command("import_scans", str(path), "--commit", "--checked-rows", "3")
    assert SiteMeasurement.objects.count() == 2


def test_vertebra_rows_import_with_bmc_and_area(paula, hologic):
    rows = [
        spine_row("0.776", "-2.0", bmc="47.80", area="61.58"),
        {**ROW, "site": "L1", "bmd": "0,801", "t_score": "−1.2", "bmc": "11.92", "area": "14.88"},
        {**ROW, "site": "l3", "bmd": "0.688", "t_score": "-2.5"},
    ]
    import_commit(text=csv_text(*rows), date_format="iso")
    scan = DexaScan.objects.get()
    assert [(v.level, str(v.bmd), str(v.t_score)) for v in scan.vertebrae.all()] == [
        (1, "0.801", "-1.2"),
        (3, "0.688", "-2.5"),
    ]
    assert str(scan.measurements.get().area) == "61.58"
    # Imported again: unchanged, nothing doubled.
    plan = import_commit(text=csv_text(*rows), date_format="iso")
    assert plan.counts.unchanged == 3 and VertebraMeasurement.objects.count() == 2


def test_a_vertebra_row_with_a_side_is_refused(paula, hologic):
    row = {**ROW, "site": "L2", "side": "left", "bmd": "0.795", "t_score": "-1.3"}
    plan = import_preview(text=csv_text(row), date_format="iso")
    assert plan.rows[0].errors == [("side", "a single vertebra (L2) has no side — leave it empty.")]
