"""Stored readings rebuilt in bulk read the latest scan alone: they must hold exactly what the
whole reading of the record says."""

from osteoclinic.generator import clinic_generate
from patients.models import Patient
from scans.interpretation import load_record
from scans.models import PatientStatus
from scans.services import STATUS_FIELDS, _status_from, status_refresh_many


def test_bulk_readings_match_the_whole_reading_of_each_record(db):
    clinic_generate(patients=60, seed=11)
    patients = list(Patient.objects.order_by("pk"))
    status_refresh_many(patients=patients)

    stored = {status.pk: status for status in PatientStatus.objects.all()}
    compared = [name for name in STATUS_FIELDS if name != "updated_at"]
    several = 0
    for patient in patients:
        record = load_record(patient)
        several += len(record["scans"]) > 2
        whole = _status_from(patient, record["reading"])
        for name in compared:
            assert getattr(stored[patient.pk], name) == getattr(whole, name), (patient.mrn, name)
    assert several > 30
    assert any(status.significant_loss for status in stored.values())
