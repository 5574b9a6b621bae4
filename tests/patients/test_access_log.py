"""The access log answers "who saw this record": every view is written down."""

import pytest
from django.urls import reverse

from patients.models import AccessLogEntry


@pytest.mark.parametrize(
    ("url", "action"),
    [
        (lambda p: reverse("patient_record", args=[p.pk]), "record"),
        (lambda p: reverse("patient_summary", args=[p.pk]), "summary"),
        (lambda p: reverse("patients:history", args=[p.pk]), "history"),
        (lambda p: reverse("scans:chart", args=[p.pk, "tscore"]), "chart"),
    ],
)
def test_a_clinicians_view_is_logged_with_who_what_and_where(client, alice, paula, url, action):
    client.force_login(alice)
    client.get(url(paula), REMOTE_ADDR="10.1.2.3")
    entry = AccessLogEntry.objects.get()
    assert (entry.user, entry.username, entry.role, entry.patient, entry.action) == (
        alice,
        "alice",
        "clinician",
        paula,
        action,
    )
    assert entry.ip_address == "10.1.2.3"


def test_a_refused_view_logs_nothing(client, pete, paula):
    client.force_login(pete.user)
    client.get(reverse("patient_record", args=[paula.pk]))
    assert not AccessLogEntry.objects.exists()


def test_paula_sees_who_looked_at_her_record_and_not_at_petes(client, alice, paula, pete):
    client.force_login(alice)
    client.get(reverse("patient_record", args=[paula.pk]))
    client.get(reverse("patient_record", args=[pete.pk]))
    client.force_login(paula.user)
    client.get(reverse("portal:home"))
    page = client.get(reverse("portal:access_log")).content.decode()
    assert "alice (clinician)" in page and "Record page" in page
    assert "You" in page and "Portal" in page
    assert page.count("<tr><td>") == 2


def test_only_superusers_read_the_log_in_the_admin(client, admin_user, eddie, alice, paula):
    client.force_login(alice)
    client.get(reverse("patient_record", args=[paula.pk]))
    url = reverse("admin:patients_accesslogentry_changelist")
    client.force_login(eddie)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200 and "alice" in response.content.decode()
    entry = AccessLogEntry.objects.get()
    assert (
        client.post(
            reverse("admin:patients_accesslogentry_delete", args=[entry.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AccessLogEntry.objects.count() == 1


def test_exports_are_logged_for_each_patient_they_carry(client, alice, paula, pete, hologic):
    import datetime

    from tests.osteoclinic.test_patient_record import scan

    for patient in (paula, pete):
        scan(patient, hologic, datetime.date(2024, 1, 1), ("lumbar_spine", "", "0.9", "-1.5"))
    client.force_login(alice)
    client.get(reverse("scans:export_fhir", args=[paula.pk]))
    client.get(reverse("scans:export_patient_csv", args=[paula.pk]))
    b"".join(client.get(reverse("scans:export_csv")).streaming_content)
    exports = AccessLogEntry.objects.filter(action="export")
    assert sorted(e.patient.family_name for e in exports) == [
        "Fischer",
        "Fischer",
        "Fischer",
        "Okafor",
    ]
