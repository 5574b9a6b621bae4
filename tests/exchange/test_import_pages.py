"""Importing scans from CSV through the clinician pages: upload, dry-run preview, confirm."""

import csv
import datetime
import io
import os

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from patients.models import Patient
from scans.models import Device, DexaScan, ImportJob, PatientStatus, SiteMeasurement
from tests.tasks import run_tasks

HEADER = (
    "mrn,family_name,given_name,date_of_birth,sex,scan_date,manufacturer,device_serial,"
    "site,side,bmd,t_score,z_score"
)
FIELDS = HEADER.split(",")
# A row for paula (already in the clinic: identity columns may stay empty).
PAULA_ROW = {
    "mrn": "MRN-PAULA",
    "scan_date": "2024-05-06",
    "manufacturer": "Hologic",
    "device_serial": "HZ-100",
    "site": "lumbar_spine",
    "bmd": "0.812",
    "t_score": "-2.7",
}
NEW_ROW = {
    **PAULA_ROW,
    "mrn": "MRN-NEW-1",
    "family_name": "Nguyen",
    "given_name": "Mai",
    "date_of_birth": "1950-02-03",
    "sex": "female",
}


def nhanes_t(site: str, bmd: str) -> str:
    """The T-score a Hologic hip BMD gives on the NHANES III reference, to one decimal."""
    reference = {"femoral_neck": (0.858, 0.120), "total_hip": (0.942, 0.122)}.get(site)
    if reference is None:
        return "-1.9"
    return f"{(float(bmd) - reference[0]) / reference[1]:.1f}"


def csv_text(*rows: dict, delimiter: str = ",") -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: row.get(name, "") for name in FIELDS})
    return out.getvalue()


def upload(client, content, *, date_format="iso", name="scans.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(reverse("exchange:import"), {"file": file, "date_format": date_format})


def latest_job() -> ImportJob:
    return ImportJob.objects.order_by("-pk").first()


def job_url(name="exchange:import_job") -> str:
    return reverse(name, args=[latest_job().pk])


def preview(client, content, **options):
    """Upload, let a worker run the dry run, and open the upload's page."""
    response = upload(client, content, **options)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"] == job_url()
    run_tasks()
    return client.get(response["Location"])


def confirm(client, results="new"):
    """Confirm the latest upload with the answer to "what results", and let a worker import."""
    response = client.post(job_url("exchange:import_confirm"), {"results": results})
    run_tasks()
    return response


def problems_of(response) -> dict[int, list[tuple[str, str]]]:
    return {row.number: row.errors for row in response.context["problems"]}


def stored_measurements() -> set[tuple]:
    return {
        (m.scan.patient.mrn, m.scan.date, m.site, m.side, str(m.bmd), str(m.t_score))
        for m in SiteMeasurement.objects.select_related("scan__patient")
    }


@pytest.fixture
def alice_client(client, alice):
    client.force_login(alice)
    return client


def test_alice_sees_the_upload_form_with_both_date_formats(alice_client):
    response = alice_client.get(reverse("exchange:import"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "YYYY-MM-DD" in page and "DD/MM/YYYY" in page
    assert reverse("exchange:import_template") in page


def test_the_template_has_the_header_and_an_example_row_that_imports(alice_client):
    response = alice_client.get(reverse("exchange:import_template"))
    assert response["Content-Disposition"].startswith("attachment;")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("mrn,family_name,given_name,date_of_birth,sex,scan_date,")
    # A site's row and one vertebra's row (L1) of the same scan.
    assert len(lines) == 3 and ",L1,," in lines[2]
    page = preview(alice_client, response.content)
    counts = page.context["counts"]
    assert (counts.new_patients, counts.new_measurements, counts.errors) == (1, 2, 0)


@time_machine.travel(datetime.datetime(2025, 6, 1, 12, 0), tick=False)
@pytest.mark.parametrize(
    ("changes", "column", "message"),
    [
        ({"t_score": "-12.0"}, "t_score", "−12.0 is outside −8.0…+6.0 — check the report."),
        ({"z_score": "7"}, "z_score", "7 is outside −8.0…+6.0 — check the report."),
        (
            {"bmd": "3.100"},
            "bmd",
            "3.100 g/cm² is outside 0.100…2.500 g/cm² — check the report.",
        ),
        ({"bmd": "abc"}, "bmd", "“abc” is not a number — copy the value from the report"),
        ({"bmd": "0.8125"}, "bmd", "0.8125 has more than 3 decimals"),
        (
            {"site": "elbow"},
            "site",
            "“elbow” is not a known site (use lumbar_spine, femoral_neck, total_hip, radius_33",
        ),
        ({"scan_date": "2031-01-01"}, "scan_date", "2031-01-01 is in the future — check the date."),
        ({"scan_date": "2024-02-30"}, "scan_date", "2024-02-30 is not a date in the calendar"),
        (
            {"scan_date": "06/05/2024"},
            "scan_date",
            "“06/05/2024” is not a date in YYYY-MM-DD, the format chosen for this file. It looks "
            "like DD/MM/YYYY: upload the file again choosing that format.",
        ),
        (
            {"scan_date": "1950-01-01"},
            "scan_date",
            "is before the date of birth (1955-04-12) — check both dates.",
        ),
        ({"site": "total_hip"}, "side", "choose left or right for total_hip."),
        ({"side": "left"}, "side", "the lumbar spine has no side — leave it empty."),
        ({"side": "up"}, "side", "“up” is not one of left, right, L, R or empty."),
        ({"manufacturer": "Acme"}, "manufacturer", "“Acme” is not one of Hologic, GE Lunar"),
        ({"device_serial": ""}, "device_serial", "is empty — give the serial number"),
        ({"mrn": "MRN PAULA!"}, "mrn", "is not an MRN: use up to 32 letters, digits and dashes."),
        (
            {"mrn": "MRN-NOBODY", "family_name": "Doe", "given_name": "Jo", "sex": "female"},
            "date_of_birth",
            "needed for a new MRN — this MRN is not in the clinic.",
        ),
    ],
)
def test_each_problem_is_shown_with_its_row_column_and_what_to_fix(
    alice_client, paula, changes, column, message
):
    good = {**PAULA_ROW, "site": "femoral_neck", "side": "left", "bmd": "0.598"}
    page = preview(alice_client, csv_text(good, {**PAULA_ROW, **changes}))

    problems = problems_of(page)
    assert list(problems) == [3], "the header is row 1, the good row 2, the bad row 3"
    assert [c for c, m in problems[3] if c == column and message in m], problems[3]
    assert message.split(" — ")[0] in page.content.decode()
    assert page.context["counts"].new_measurements == 1


def test_a_detail_contradicting_the_record_holds_back_every_row_of_that_mrn(alice_client, paula):
    good = {**PAULA_ROW, "site": "femoral_neck", "side": "left"}
    page = preview(alice_client, csv_text(good, {**PAULA_ROW, "date_of_birth": "1955-04-13"}))
    problems = problems_of(page)
    assert set(problems) == {2, 3}
    [(column, message)] = problems[3]
    assert column == "date_of_birth"
    assert message.startswith(
        "MRN MRN-PAULA belongs to Fischer, Paula (born 1955-04-12, female) — check the MRN"
    )
    counts = page.context["counts"]
    assert (counts.conflicts, counts.new_measurements) == (2, 0)


def test_a_row_repeated_in_the_file_is_refused_once_and_imported_once(alice_client, paula):
    page = preview(alice_client, csv_text(PAULA_ROW, PAULA_ROW))
    assert problems_of(page) == {3: [("row", "repeats row 2 — delete one of the two.")]}
    assert page.context["counts"].new_measurements == 1


def test_two_rows_giving_different_results_for_one_site_are_both_refused(alice_client, paula):
    page = preview(alice_client, csv_text(PAULA_ROW, {**PAULA_ROW, "bmd": "0.900"}))
    problems = problems_of(page)
    assert set(problems) == {2, 3}
    assert problems[2][0][0] == "bmd" and "row 3 gives another result" in problems[2][0][1]
    assert page.context["counts"].new_measurements == 0


def test_rows_giving_two_dates_of_birth_for_one_new_mrn_are_refused(alice_client, db):
    other_site = {**NEW_ROW, "site": "total_hip", "side": "R", "date_of_birth": "1950-02-04"}
    page = preview(alice_client, csv_text(NEW_ROW, other_site))
    problems = problems_of(page)
    assert set(problems) == {2, 3}
    assert (
        "date_of_birth",
        "rows 2 and 3 give different dates of birth for MRN MRN-NEW-1 — correct the wrong one.",
    ) in problems[2]


def test_a_file_without_the_needed_columns_is_refused_on_the_upload_page(alice_client):
    response = upload(alice_client, "mrn,scan_date\nMRN-1,2024-01-01\n")
    assert response.status_code == 200
    message = response.context["form"].errors["file"][0]
    assert "it lacks manufacturer, device_serial, site, bmd, t_score" in message
    assert not ImportJob.objects.exists()


def test_a_thousand_rows_with_ten_bad_ones_import_990_only_after_confirmation(
    alice_client, alice, django_capture_on_commit_callbacks
):
    rows = []
    sites = [
        ("lumbar_spine", ""),
        ("femoral_neck", "left"),
        ("total_hip", "left"),
        ("femoral_neck", "right"),
        ("total_hip", "right"),
    ]
    for number in range(200):
        for site, side in sites:
            rows.append(
                {
                    **NEW_ROW,
                    "mrn": f"BULK-{number:04d}",
                    "given_name": f"Person {number}",
                    "site": site,
                    "side": side,
                    "bmd": f"0.{700 + number:03d}",
                    # Hip T-scores fit their BMD (NHANES III), so no row is flagged.
                    "t_score": nhanes_t(site, f"0.{700 + number:03d}"),
                }
            )
    for index in range(0, 1000, 100):
        rows[index]["t_score"] = "-12.0"
    text = csv_text(*rows)

    page = preview(alice_client, text)
    counts = page.context["counts"]
    assert (counts.rows, counts.new_measurements, counts.errors) == (1000, 990, 10)
    assert (counts.new_patients, counts.new_scans, counts.new_devices) == (200, 200, 1)
    assert "Rows processed: 1,000 of 1,000" in page.content.decode()
    assert sorted(problems_of(page)) == [index + 2 for index in range(0, 1000, 100)]
    assert SiteMeasurement.objects.count() == 0 and Patient.objects.count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        response = confirm(alice_client)
    assert response.status_code == 302
    assert SiteMeasurement.objects.count() == 990
    assert Patient.objects.filter(mrn__startswith="BULK-").count() == 200
    assert set(DexaScan.objects.values_list("status", flat=True)) == {"draft"}
    scan = DexaScan.objects.first()
    assert scan.history.first().history_user == alice
    # The stored reading followed the import (announced on commit): drafts feed none of it.
    assert PatientStatus.objects.filter(patient__mrn__startswith="BULK-").count() == 200
    assert PatientStatus.objects.filter(latest_scan__isnull=False).count() == 0
    result = alice_client.get(job_url())
    assert "Import done" in result.content.decode()
    assert result.context["counts"].new_measurements == 990

    # The same file again changes nothing: everything is already there.
    again = preview(alice_client, text)
    counts = again.context["counts"]
    assert (counts.new_measurements, counts.unchanged, counts.errors) == (0, 990, 10)
    assert (counts.new_patients, counts.new_scans, counts.new_devices) == (0, 0, 0)
    assert "Nothing new to import." in again.content.decode()
    confirm(alice_client)
    assert SiteMeasurement.objects.count() == 990 and DexaScan.objects.count() == 200


def test_the_preview_of_a_thousand_rows_uses_a_bounded_number_of_queries(
    alice_client, paula, hologic, django_assert_max_num_queries
):
    scan = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2023, 3, 3))
    SiteMeasurement.objects.create(scan=scan, site="lumbar_spine", bmd="0.812", t_score="-2.7")
    rows = [
        {**NEW_ROW, "mrn": f"Q-{number}", "scan_date": f"2020-01-{1 + number % 28:02d}"}
        for number in range(990)
    ]
    rows += [{**PAULA_ROW, "scan_date": "2023-03-03"} for _ in range(10)]
    upload(alice_client, csv_text(*rows))
    run_tasks()
    with django_assert_max_num_queries(10):
        page = alice_client.get(job_url())
    assert page.context["counts"].rows == 1000


def test_a_conflict_with_a_stored_result_is_reported_and_never_applied(
    alice_client, paula, paula_scan
):
    row = {**PAULA_ROW, "scan_date": "2023-03-03", "bmd": "0.815"}
    new = {**PAULA_ROW, "scan_date": "2023-03-03", "site": "total_hip", "side": "left"}
    new["t_score"] = "-1.1"  # fits BMD 0.812 at the total hip (NHANES III)
    page = preview(alice_client, csv_text(row, new))
    counts = page.context["counts"]
    assert (counts.conflicts, counts.new_measurements, counts.new_scans) == (1, 1, 0)
    [(column, message)] = problems_of(page)[2]
    assert column == "bmd"
    assert "already holds 0.812 g/cm²" in message and "the file says 0.815 g/cm²" in message
    assert "not overwritten" in message

    confirm(alice_client)
    stored = {(m.site, str(m.bmd)) for m in paula_scan.measurements.all()}
    assert stored == {("lumbar_spine", "0.812"), ("total_hip", "0.812")}


def test_a_new_site_for_a_reviewed_scan_is_a_conflict(alice_client, paula, paula_scan):
    paula_scan.status = "reviewed"
    paula_scan.save()
    row = {**PAULA_ROW, "scan_date": "2023-03-03", "site": "total_hip", "side": "left"}
    page = preview(alice_client, csv_text(row))
    [(column, message)] = problems_of(page)[2]
    assert column == "site" and "already reviewed" in message
    assert page.context["counts"].conflicts == 1


def test_the_rejected_rows_file_holds_exactly_the_bad_rows_with_an_error_column(
    alice_client, paula, paula_scan
):
    text = csv_text(
        {**PAULA_ROW, "site": "femoral_neck", "side": "left"},
        {**PAULA_ROW, "t_score": "-12.0"},
        {**PAULA_ROW, "scan_date": "2023-03-03", "bmd": "0.815"},
        {**PAULA_ROW, "site": "total_hip", "side": "right"},
    )
    preview(alice_client, text)
    response = alice_client.get(job_url("exchange:import_rejects"))
    assert response["Content-Disposition"] == 'attachment; filename="scans-rejected.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(row["t_score"], row["bmd"]) for row in rows] == [("-12.0", "0.812"), ("-2.7", "0.815")]
    assert list(rows[0])[-1] == "error"
    assert rows[0]["error"] == "t_score: −12.0 is outside −8.0…+6.0 — check the report."
    assert rows[1]["error"].startswith("bmd: the clinic already holds 0.812 g/cm²")


def test_a_semicolon_file_with_a_byte_order_mark_and_report_numbers_imports(alice_client, paula):
    text = (
        "MRN; Family Name; Given_Name; Scan Date; Manufacturer; Device Serial; Site; Side; "
        "BMD; T Score; Z_Score\n"
        "mrn-paula;;;2024-05-06;GE;L-7;Total Hip;L;0,701;−2,0;−0,9\n"
        "MRN-PAULA;;;2024-05-06;lunar;l-7;33% Radius;R;0,655;−1,1;\n"
        "MRN-PAULA;;;2024-05-06;GE Lunar;L-7;L1-L4;;0,901;−1,4;\n"
    )
    page = preview(alice_client, b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert problems_of(page) == {}
    confirm(alice_client)
    scan = DexaScan.objects.get(patient=paula)
    assert (scan.device.manufacturer, scan.device.serial) == ("ge_lunar", "L-7")
    stored = {
        (m.site, m.side, str(m.bmd), str(m.t_score), m.z_score and str(m.z_score), m.vertebrae)
        for m in scan.measurements.all()
    }
    assert stored == {
        ("total_hip", "left", "0.701", "-2.0", "-0.9", ""),
        ("radius_33", "right", "0.655", "-1.1", None, ""),
        ("lumbar_spine", "", "0.901", "-1.4", None, "L1-L4"),
    }


def test_day_month_year_dates_import_when_that_format_is_chosen(alice_client, db):
    row = {**NEW_ROW, "date_of_birth": "03/02/1950", "scan_date": "06/05/2024"}
    page = preview(alice_client, csv_text(row), date_format="dmy")
    assert problems_of(page) == {}
    confirm(alice_client)
    patient = Patient.objects.get(mrn="MRN-NEW-1")
    assert patient.date_of_birth == datetime.date(1950, 2, 3)
    assert patient.scans.get().date == datetime.date(2024, 5, 6)


def test_a_new_patient_gets_the_file_identity_with_an_upper_case_mrn(alice_client, db):
    preview(alice_client, csv_text({**NEW_ROW, "mrn": "mrn-new-1", "sex": "F"}))
    confirm(alice_client)
    patient = Patient.objects.get()
    assert (patient.mrn, patient.family_name, patient.given_name, patient.sex) == (
        "MRN-NEW-1",
        "Nguyen",
        "Mai",
        "female",
    )
    assert patient.history.count() == 1


def test_a_five_megabyte_binary_file_gets_a_clear_error(alice_client):
    response = upload(alice_client, os.urandom(5 * 1024 * 1024), name="scan.pdf")
    assert response.status_code == 200
    [message] = response.context["form"].errors["file"]
    assert message.startswith("The file is not UTF-8 text")
    assert not ImportJob.objects.exists()


def test_a_five_megabyte_text_file_that_is_not_a_csv_gets_a_clear_error(alice_client):
    response = upload(alice_client, "x" * (5 * 1024 * 1024))
    assert response.status_code == 200
    [message] = response.context["form"].errors["file"]
    assert message.startswith(
        "The file could not be read as CSV (one value runs over 131,072 characters: a quote that "
        "is never closed, or not a CSV file at all)."
    )


def test_a_text_file_without_the_header_gets_a_clear_error(alice_client):
    response = upload(alice_client, "Dear colleague,\nplease find the scans attached.\n" * 1000)
    [message] = response.context["form"].errors["file"]
    assert message.startswith("The first line must name the columns; it lacks mrn, scan_date")


def test_a_file_over_the_size_limit_is_refused_with_the_limit(alice_client, settings):
    settings.SCAN_IMPORT_MAX_BYTES = 1000
    response = upload(alice_client, csv_text(*[PAULA_ROW] * 30))
    [message] = response.context["form"].errors["file"]
    assert "the limit is 1000" in message and "Split it into smaller files" in message


def test_a_second_confirmation_imports_nothing_more(alice_client, paula):
    preview(alice_client, csv_text(PAULA_ROW))
    confirm(alice_client)
    assert SiteMeasurement.objects.count() == 1
    response = confirm(alice_client)  # the button pressed again, or an old tab
    assert response.status_code == 302
    page = alice_client.get(response["Location"]).content.decode()
    assert "This file is not waiting for a confirmation" in page and "Import done" in page
    imports = DBTaskResult.objects.filter(task_path="exchange.tasks.run_import")
    assert imports.count() == 1


def test_discarding_the_file_forgets_it(alice_client, paula):
    preview(alice_client, csv_text(PAULA_ROW))
    page = job_url()
    response = alice_client.post(job_url("exchange:import_cancel"))
    assert response["Location"] == reverse("exchange:import")
    assert latest_job().stage == "discarded" and bytes(latest_job().data) == b""
    assert alice_client.get(page)["Location"] == reverse("exchange:import")
    assert SiteMeasurement.objects.count() == 0


@pytest.mark.parametrize("who", ["paula", "eddie"])
def test_only_clinicians_may_upload(client, request, who, paula):
    user = paula.user if who == "paula" else request.getfixturevalue("eddie")
    client.force_login(user)
    response = upload(client, csv_text(PAULA_ROW))
    assert response.status_code == 403
    assert SiteMeasurement.objects.count() == 0 and Device.objects.count() == 0
