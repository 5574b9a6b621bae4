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


def test_a_refused_attempt_on_another_patients_record_is_logged_as_refused(client, pete, paula):
    client.force_login(pete.user)
    assert client.get(reverse("patient_record", args=[paula.pk])).status_code == 403
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.patient, entry.outcome) == ("pete", paula, "refused")


def test_a_patient_probing_another_patients_page_id_is_logged_as_refused(
    client, paula, pete, django_user_model
):
    from education.models import EducationPage, PatientEducation

    page = EducationPage.objects.for_patients().first()
    attachment = PatientEducation.objects.create(
        patient=paula, page=page, reason="Your scan showed low bone mass.", source="rule"
    )
    client.force_login(pete.user)
    assert client.get(reverse("portal:education", args=[attachment.pk])).status_code == 404
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.patient, entry.outcome) == ("pete", paula, "refused")


def test_superusers_see_refused_attempts_in_the_admin(client, admin_user, eddie, paula):
    client.force_login(eddie)
    client.get(reverse("patients:edit", args=[paula.pk]))
    client.force_login(admin_user)
    page = client.get(
        reverse("admin:patients_accesslogentry_changelist"), {"outcome__exact": "refused"}
    )
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    assert "eddie" in page.content.decode()


def test_an_unknown_id_and_a_visitor_who_is_not_signed_in_write_nothing(client, pete, paula):
    client.get(reverse("patient_record", args=[paula.pk]))  # sent to sign in
    client.force_login(pete.user)
    client.get(reverse("patient_record", args=[paula.pk + 1000]))
    assert not AccessLogEntry.objects.exists()


def test_a_conditional_chart_request_is_logged_once_like_a_get(client, alice, paula_scan):
    client.force_login(alice)
    url = reverse("scans:chart", args=[paula_scan.patient.pk, "tscore"])
    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304
    assert AccessLogEntry.objects.filter(action="chart").count() == 2


def test_the_patient_edit_form_is_logged(client, alice, paula):
    client.force_login(alice)
    client.get(reverse("patients:edit", args=[paula.pk]))
    entry = AccessLogEntry.objects.get()
    assert (entry.patient, entry.action, entry.outcome) == (paula, "form", "shown")


def test_paula_sees_one_row_per_visit_without_her_own_views_nor_petes(client, alice, paula, pete):
    alice.first_name, alice.last_name = "Alice", "Meyer"
    alice.save()
    client.force_login(alice)
    # One visit: the record three times, its charts and its history.
    for _ in range(3):
        client.get(reverse("patient_record", args=[paula.pk]))
    client.get(reverse("scans:chart", args=[paula.pk, "tscore"]))
    client.get(reverse("patients:history", args=[paula.pk]))
    client.get(reverse("patient_record", args=[pete.pk]))
    client.force_login(pete.user)
    client.get(reverse("patient_record", args=[paula.pk]))  # refused: not shown to paula
    client.force_login(paula.user)
    client.get(reverse("portal:home"))
    client.get(reverse("portal:chart", args=["tscore"]))
    response = client.get(reverse("portal:access_log"))

    visits = [(v.who, sorted(v.what), v.times) for v in response.context["visits"]]
    assert visits == [
        (
            "Alice Meyer (clinician)",
            ["the history of changes to your record", "your charts", "your record"],
            5,
        )
    ]
    page = response.content.decode()
    assert page.count("Alice Meyer (clinician)") == 1
    assert "your portal pages" not in page and "pete" not in page.lower()


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
    client.get(reverse("exchange:export_fhir", args=[paula.pk]))
    client.get(reverse("exchange:export_patient_csv", args=[paula.pk]))
    response = client.get(reverse("exchange:export_csv"))
    assert not AccessLogEntry.objects.filter(patient=pete).exists(), "logged as it is sent"
    b"".join(response.streaming_content)
    exports = AccessLogEntry.objects.filter(action="export")
    assert sorted(e.patient.family_name for e in exports) == [
        "Fischer",
        "Fischer",
        "Fischer",
        "Okafor",
    ]


def test_a_head_of_the_whole_clinic_export_writes_no_entry_per_patient(
    client, alice, paula_scan, pete
):
    client.force_login(alice)
    response = client.head(reverse("exchange:export_csv"))
    assert response.status_code == 200 and response.content == b""
    assert not AccessLogEntry.objects.exists()
