"""The patient's change history covers every clinical record: who, when, which fields, from what
to what — scans and measurements, FRAX, symptom reports and education attachments included."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from education.models import EducationPage, PatientEducation
from patients.models import SymptomReport
from scans.models import FraxEntry

pytestmark = pytest.mark.django_db


def saved_by(record, user, **changes):
    for name, value in changes.items():
        setattr(record, name, value)
    record._history_user = user
    record.save()
    return record


def entries(client, patient):
    response = client.get(reverse("patients:history", args=[patient.pk]))
    assert response.status_code == 200
    return response.context["page"].object_list


def test_a_changed_measurement_shows_who_and_from_what_to_what(alice, paula_scan, client_for):
    measurement = paula_scan.measurements.get()
    saved_by(measurement, alice, t_score=Decimal("-2.5"))

    latest = entries(client_for(alice), paula_scan.patient)[0]

    assert (latest.who, latest.action) == ("alice", "Changed")
    assert latest.record == "Lumbar spine L1–L4: BMD 0.812 g/cm², T -2.5 (scan of 2023-03-03)"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [("T-score", "-2.7", "-2.5")]


def test_scans_frax_symptoms_and_education_are_all_in_the_history(alice, paula_scan, client_for):
    paula = paula_scan.patient
    saved_by(paula_scan, alice, operator="J. Doe")
    saved_by(
        FraxEntry(
            patient=paula, date=datetime.date(2024, 1, 2), major_osteoporotic="12.0", hip="2.1"
        ),
        alice,
    )
    report = SymptomReport.objects.create(patient=paula, source="patient", pain=6)
    saved_by(
        report, alice, acknowledged_by=alice, acknowledged_at=datetime.datetime.now().astimezone()
    )
    page = EducationPage.objects.for_patients().first()
    saved_by(
        PatientEducation(
            patient=paula, page=page, reason="Your scan.", source="clinician", added_by=alice
        ),
        alice,
    )

    shown = entries(client_for(alice), paula)
    records = [entry.record for entry in shown]

    assert f"Education page “{page.title}”" in records
    assert any(record.startswith("Symptoms ") for record in records)
    assert any(record.startswith("FRAX 2024-01-02") for record in records)
    scan_change = next(e for e in shown if e.record.startswith("DEXA 2023-03-03"))
    assert (scan_change.who, scan_change.action) == ("alice", "Changed")
    assert [(c.label, c.new) for c in scan_change.changes] == [("operator", "J. Doe")]
    acknowledged = next(e for e in shown if e.record.startswith("Symptoms ") and e.changes)
    assert "acknowledged by" in [c.label for c in acknowledged.changes]
