"""Export, then import into an empty database: the same record and the same readings."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse

from exchange.csv_import.writing import import_commit
from patients.access import CLINICIANS
from patients.models import Patient
from scans.interpretation import load_record
from scans.models import DexaScan
from scans.services import status_refresh
from tests.conftest import make_patient, make_user
from tests.scans.test_scan_plausibility_pages import form_data, hip, spine

VERTEBRAE = {
    1: {"bmd": "0.801", "t_score": "-1.2", "bmc": "11.92", "area": "14.88"},
    2: {"bmd": "0.795", "t_score": "-1.3", "bmc": "12.40", "area": "15.60"},
    3: {"bmd": "0.688", "t_score": "-2.5", "bmc": "11.10", "area": "16.13"},
    4: {"bmd": "0.823", "t_score": "-1.1", "bmc": "14.02", "area": "17.04"},
}


def log_scan(client, patient, device, day, rows, *, vertebrae=None, checked=False):
    extra = {"checked": "on"} if checked else {}
    data = form_data(device, rows, date=day, vertebrae=vertebrae, **extra)
    response = client.post(reverse("scans:scan_create", args=[patient.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    return DexaScan.objects.get(patient=patient, date=day)


def review(client, scan, action):
    """Decide on the scan's review page, as opened (a release is taken there only)."""
    url = reverse("scans:scan_review", args=[scan.pk])
    opened = client.get(url).context["form"]["opened"].value()
    response = client.post(url, {"action": action, "opened": opened})
    assert response.status_code == 302


def record_of(mrn: str) -> dict:
    """What must come back: each scan's status, check, results and vertebrae, and readings."""
    patient = Patient.objects.get(mrn=mrn)
    scans = {}
    for scan in DexaScan.objects.filter(patient=patient).order_by("date"):
        scans[scan.date] = {
            "status": scan.status,
            "checked": (scan.checked_warnings, scan.checked_by, scan.checked_at),
            "sites": sorted(
                (m.site, m.side, m.vertebrae, m.bmd, m.t_score, m.z_score, m.bmc, m.area)
                for m in scan.measurements.all()
            ),
            "vertebrae": [(v.level, v.bmd, v.t_score, v.bmc, v.area) for v in scan.vertebrae.all()],
        }
    reading = load_record(patient)["reading"]
    readings = [
        (
            r.scan.date,
            r.diagnosis.summary if r.diagnosis else "",
            r.warnings,
            [(c.measurement.site_label, c.previous and c.previous.explanation) for c in r.changes],
        )
        for r in reading.readings
    ]
    status = status_refresh(patient=patient)
    stored = (status.category, status.summary, status.significant_loss, status.loss_summary)
    return {"scans": scans, "readings": readings, "status": stored}


# Transactional: emptying the database (flush) cannot run inside a test's transaction on
# PostgreSQL, whose deferred constraint checks are still pending there.
@pytest.mark.django_db(transaction=True)
def test_export_then_import_into_an_empty_database_gives_the_same_record(
    client, alice, paula, pete, hologic
):
    client.force_login(alice)
    # A hip result that does not fit NHANES III, checked against the report and released.
    first = log_scan(client, paula, hologic, "2022-03-01", [hip("0.400", "-1.0")], checked=True)
    review(client, first, "release")
    # Two years later: +52% since then (beyond 10% a year), checked; with its vertebrae.
    second = log_scan(
        client,
        paula,
        hologic,
        "2024-03-04",
        [spine("0.776", "-2.0", bmc="56.44", area="72.69"), hip("0.610", "-2.7")],
        vertebrae=VERTEBRAE,
        checked=True,
    )
    review(client, second, "release")
    log_scan(client, paula, hologic, "2025-01-10", [spine("0.770", "-2.1")])  # a draft
    petes = log_scan(client, pete, hologic, "2023-09-09", [hip("1.012", "0.6")])
    review(client, petes, "review")
    second.refresh_from_db()
    assert len(second.checked_warnings) == 1 and "since 0.400 g/cm²" in second.checked_warnings[0]

    before = {mrn: record_of(mrn) for mrn in ("MRN-PAULA", "MRN-PETE")}
    response = client.get(reverse("exchange:export_csv"))
    exported = b"".join(response.streaming_content).decode("utf-8")

    # Another clinic's empty database, and a clinician there.
    call_command("flush", interactive=False, verbosity=0)
    assert not Patient.objects.exists()
    carol = make_user("carol", CLINICIANS)

    plan = import_commit(
        text=exported, date_format="iso", user=carol, source="export.csv", past_results=True
    )
    counts = plan.counts
    assert (counts.errors, counts.conflicts, counts.held_back) == (0, 0, 0)
    assert (counts.new_patients, counts.new_scans, counts.new_measurements) == (2, 4, 9)
    after = {mrn: record_of(mrn) for mrn in ("MRN-PAULA", "MRN-PETE")}
    assert after == before
    assert [s["status"] for s in after["MRN-PAULA"]["scans"].values()] == [
        "released",
        "released",
        "draft",
    ]
    assert after["MRN-PAULA"]["scans"][datetime.date(2022, 3, 1)]["checked"][1] == "alice"


def test_a_file_of_new_results_is_imported_as_drafts_whatever_its_status_column(db):
    make_patient("MRN-NEW")
    carol = make_user("carol", CLINICIANS)
    text = (
        "mrn,scan_date,manufacturer,device_serial,site,side,bmd,t_score,status\n"
        "MRN-NEW,2024-01-02,Hologic,HZ-1,lumbar_spine,,0.812,-2.7,released\n"
    )
    import_commit(text=text, date_format="iso")
    assert DexaScan.objects.get().status == "draft"
    import_commit(
        text=text.replace("2024-01-02", "2024-02-02"),
        date_format="iso",
        user=carol,
        past_results=True,
    )
    assert DexaScan.objects.get(date="2024-02-02").status == "released"
