"""The admin keeps the record: nothing clinical is deleted, sign-in audit rows are pruned only
by the retention command, and "view on site" tells nobody which ids exist."""

import datetime

import pytest
from axes.models import AccessLog
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from patients.models import Fracture, Patient, SymptomReport
from scans.models import DexaScan

CLINICAL = [
    ("patients", "patient", lambda w: w["paula"]),
    ("patients", "fracture", lambda w: w["fracture"]),
    ("patients", "heightmeasurement", lambda w: w["height"]),
    ("patients", "treatment", lambda w: w["treatment"]),
    ("patients", "symptomreport", lambda w: w["report"]),
    ("scans", "dexascan", lambda w: w["scan"]),
    ("education", "patienteducation", lambda w: w["attachment"]),
]


@pytest.fixture
def records(paula, paula_scan):
    from education.models import EducationPage, PatientEducation

    return {
        "paula": paula,
        "scan": paula_scan,
        "fracture": Fracture.objects.create(
            patient=paula, date=datetime.date(2021, 1, 1), site="hip", mechanism="fragility"
        ),
        "height": paula.heights.create(date=datetime.date(2024, 1, 1), cm=160),
        "treatment": paula.treatments.create(
            drug_class="bisphosphonate", name="alendronate", start=datetime.date(2022, 1, 1)
        ),
        "report": SymptomReport.objects.create(patient=paula, source="patient", pain=3),
        "attachment": PatientEducation.objects.create(
            patient=paula,
            page=EducationPage.objects.for_patients().first(),
            reason="Your scan showed low bone mass.",
            source="rule",
        ),
    }


@pytest.mark.parametrize(("app", "model", "record"), CLINICAL)
def test_a_superuser_cannot_delete_a_clinical_record_in_the_admin(
    app, model, record, records, admin_user, client_for
):
    client = client_for(admin_user)
    obj = record(records)
    url = reverse(f"admin:{app}_{model}_delete", args=[obj.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    changelist = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert "delete_selected" not in changelist.content.decode()


def test_measurements_cannot_be_deleted_through_the_scans_inline(records, admin_user, client_for):
    page = client_for(admin_user).get(
        reverse("admin:scans_dexascan_change", args=[records["scan"].pk])
    )
    assert "measurements-0-DELETE" not in page.content.decode()
    assert DexaScan.objects.get().measurements.count() == 1


@pytest.fixture
def sign_ins(db):
    now = timezone.now()
    old = AccessLog.objects.create(
        username="alice", ip_address="10.0.0.1", user_agent="test", path_info="/accounts/login/"
    )
    AccessLog.objects.filter(pk=old.pk).update(attempt_time=now - datetime.timedelta(days=400))
    recent = AccessLog.objects.create(
        username="bob", ip_address="10.0.0.2", user_agent="test", path_info="/accounts/login/"
    )
    return old, recent


def test_a_superuser_cannot_delete_sign_in_audit_rows(sign_ins, admin_user, client_for):
    old, _ = sign_ins
    url = reverse("admin:axes_accesslog_delete", args=[old.pk])
    assert client_for(admin_user).post(url, {"post": "yes"}).status_code == 403
    assert AccessLog.objects.filter(pk=old.pk).exists()


def test_the_prune_command_keeps_the_retention_and_says_what_it_removed(
    sign_ins, settings, capsys, caplog
):
    settings.SIGNIN_AUDIT_RETENTION_DAYS = 365
    call_command("prune_signin_audit")
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["bob"]
    out = capsys.readouterr().out
    assert "Pruned 1 access logs from" in out and "older than 365 days" in out
    assert any("Pruned 1 access logs" in record.message for record in caplog.records)


def view_on_site(model, pk):
    content_type = ContentType.objects.get_for_model(model)
    return reverse("admin:view_on_site", args=[content_type.pk, pk])


def test_an_editor_cannot_tell_which_patient_or_scan_ids_exist(
    paula, paula_scan, eddie, client_for
):
    client = client_for(eddie)
    for model, pk in ((Patient, paula.pk), (DexaScan, paula_scan.pk)):
        assert client.get(view_on_site(model, pk)).status_code == 404
        assert client.get(view_on_site(model, pk + 1000)).status_code == 404


def test_view_on_site_still_works_for_who_may_see_the_object(paula, admin_user, client_for):
    response = client_for(admin_user).get(view_on_site(Patient, paula.pk))
    assert response.status_code == 302 and response["Location"].endswith(paula.get_absolute_url())
