"""After an import, each affected patient's stored reading is rebuilt in bulk."""

from exchange.csv_import.writing import import_commit
from patients.models import Patient
from scans.models import DexaScan, PatientStatus
from scans.services import status_refresh, status_refresh_many

HEADER = (
    "mrn,family_name,given_name,date_of_birth,sex,scan_date,manufacturer,device_serial,"
    "site,side,bmd,t_score,z_score\n"
)
CSV = (
    HEADER
    + """IMP-1,Stone,Ada,1950-02-03,female,2020-01-10,Hologic,H-9,lumbar_spine,,0.900,-1.5,
IMP-1,Stone,Ada,1950-02-03,female,2024-01-10,Hologic,H-9,lumbar_spine,,0.780,-2.6,
IMP-2,Reed,Bo,1952-02-03,male,2024-03-10,Hologic,H-9,total_hip,left,0.950,0.1,
"""
)


def test_imported_past_results_give_their_reading_once_the_import_commits(
    alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_commit(text=CSV, date_format="iso", user=alice, past_results=True)
    stone = PatientStatus.objects.get(patient__mrn="IMP-1")
    assert (stone.category, stone.significant_loss) == ("osteoporosis", True)
    assert PatientStatus.objects.get(patient__mrn="IMP-2").category == "normal"


def test_the_bulk_rebuild_equals_the_one_patient_rebuild(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_commit(text=CSV, date_format="iso")
    # Released as a clinician would, outside the import: the bulk rebuild reads them.
    DexaScan.objects.update(status="released")
    status_refresh_many(patients=Patient.objects.all())
    fields = [
        "category",
        "summary",
        "significant_loss",
        "loss_summary",
        "next_due",
        "treatment_indicated",
        "latest_scan_date",
    ]
    bulk = list(PatientStatus.objects.order_by("pk").values(*fields))
    for status in PatientStatus.objects.select_related("patient"):
        status_refresh(patient=status.patient)
    assert list(PatientStatus.objects.order_by("pk").values(*fields)) == bulk
