"""`manage.py import_scans FILE`: a dry run that writes nothing unless given --commit."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from patients.models import Patient
from scans.models import DexaScan, SiteMeasurement

HEADER = "mrn,family_name,given_name,date_of_birth,sex,scan_date,manufacturer,device_serial,site,side,bmd,t_score,z_score\n"  # noqa: E501


def bulk_file(tmp_path, rows: int, *, bad_every: int = 0, dates: str = "iso"):
    lines = [HEADER]
    born, scanned = ("1950-02-03", "2024-05-06") if dates == "iso" else ("03/02/1950", "06/05/2024")
    for number in range(rows):
        t_score = "-12.0" if bad_every and number % bad_every == 0 else "-1.9"
        lines.append(
            f"CMD-{number},Okoro,Ada {number},{born},female,{scanned},Hologic,HZ-9,"
            f"lumbar_spine,,0.850,{t_score},\n"
        )
    path = tmp_path / "scans.csv"
    path.write_text("".join(lines), encoding="utf-8")
    return path


def run(*args) -> str:
    out = io.StringIO()
    call_command("import_scans", *args, stdout=out)
    return out.getvalue()


def test_without_commit_it_reports_and_writes_nothing(tmp_path, db):
    path = bulk_file(tmp_path, 2500, bad_every=1000)
    output = run(str(path))
    assert "Dry run — would import: 2,497 new patients" in output
    assert "2,497 new measurements" in output
    assert "Errors: 3." in output
    assert "Row 2 (error) t_score: −12.0 is outside −8.0…+6.0 — check the report." in output
    assert "Nothing was written. Run again with --commit to import." in output
    # A progress bar for each stage, ending full.
    assert re.search(r"\r  read +100% \|#{30}\| 2500 of 2500 rows", output)
    assert re.search(r"\r  checked +100% \|#{30}\| 2500 of 2500 rows", output)
    assert "\r  written" not in output
    assert Patient.objects.count() == 0 and SiteMeasurement.objects.count() == 0


def test_with_commit_it_imports_and_a_second_run_changes_nothing(tmp_path, db):
    path = bulk_file(tmp_path, 20, bad_every=7, dates="dmy")
    rejects = tmp_path / "rejected.csv"
    output = run(str(path), "--date-format", "dmy", "--commit", "--rejects", str(rejects))
    assert output.startswith("\r  read ")
    assert re.search(r"\r  written +100% \|#{30}\| 17 of 17 rows", output)
    assert "Imported: 17 new patients, 1 new scanners, 17 new scans (drafts)" in output
    assert SiteMeasurement.objects.count() == 17
    assert set(DexaScan.objects.values_list("status", flat=True)) == {"draft"}
    lines = rejects.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 1 + 3 and lines[0].endswith(",error")

    again = run(str(path), "--date-format", "dmy", "--commit")
    assert "Imported: 0 new patients" in again and "Unchanged (skipped): 17." in again
    assert SiteMeasurement.objects.count() == 17


def test_an_unreadable_file_stops_with_a_clear_message(tmp_path, db):
    path = tmp_path / "scan.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    with pytest.raises(CommandError, match="not UTF-8 text"):
        run(str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "missing.csv"))
