"""The portal: a patient's own released results in plain words, charts, diary and red flags."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse

from patients.models import SymptomReport
from patients.tokens import invitation_token
from tests.osteoclinic.test_patient_record import scan
from tests.tasks import run_tasks

D = datetime.date


@pytest.fixture
def paula_released(paula, hologic):
    scan(paula, hologic, D(2022, 6, 14), ("lumbar_spine", "", "0.842", "-2.0"))
    scan(paula, hologic, D(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    scan(paula, hologic, D(2025, 6, 18), ("lumbar_spine", "", "0.700", "-3.4"), status="draft")
    return paula


def test_the_portal_shows_the_latest_released_result_in_plain_words(client, paula_released):
    client.force_login(paula_released.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Your bone density is lower than normal (osteoporosis range)." in page
    assert "Your lowest T-score was −2.7 at the lower spine (lumbar spine L1–L4)." in page
    assert "At the lower spine (lumbar spine L1–L4), your bone density fell by 8.3% since your" in (
        page
    )
    assert '<th scope="row">Lower spine (lumbar spine L1–L4)</th>' in page
    assert "This is more than the scanner" in page
    # The draft scan of 2025 and the clinician's notes never reach the portal.
    assert "0.700" not in page and "−3.4" not in page
    assert "When to seek medical help" in page


def test_clinician_notes_never_reach_the_portal(client, paula_released):
    paula_released.clinician_notes = "Private remark about family"
    paula_released.save()
    client.force_login(paula_released.user)
    for url in (reverse("portal:home"), reverse("portal:symptoms")):
        assert "Private remark" not in client.get(url).content.decode()


def test_the_portal_chart_draws_released_scans_only(client, alice, paula_released):
    client.force_login(paula_released.user)
    portal = client.get(reverse("portal:chart", args=["bmd"])).content.decode()
    client.force_login(alice)
    clinician = client.get(reverse("scans:chart", args=[paula_released.pk, "bmd"]))
    assert "private" in clinician["Cache-Control"]
    # The patient's chart names the site in everyday words, the clinician's in the term.
    assert "Lower spine" in portal and "Lumbar spine" not in portal
    assert "Lumbar spine L1–L4" in clinician.content.decode()
    # Its legend speaks the portal's words, not the densitometrist's.
    assert "Normal variation around the first scan (Lower spine)" in portal
    assert "LSC" not in portal and "Baseline ± LSC" in clinician.content.decode()
    # A draft is drawn on neither: both have the two released points of the table.
    table = client.get(reverse("patient_record", args=[paula_released.pk])).context["charts"]
    bmd = next(panel for panel in table if panel["kind"] == "bmd")
    assert [row["point"].value for row in bmd["rows"]] == [0.842, 0.772]


def test_pete_sees_his_own_portal_not_paulas(client, paula_released, pete):
    client.force_login(pete.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Hello, Pete" in page
    assert "0.772" not in page
    assert client.get(reverse("patient_record", args=[paula_released.pk])).status_code == 403


@pytest.mark.parametrize(
    ("answers", "red_flag"),
    [
        ({"pain": "7", "pain_back": "on", "sudden_onset": "on"}, True),
        ({"pain": "5", "pain_hip": "on", "affects_sleep_or_daily_life": "on"}, True),
        ({"pain": "0", "fall_since_last_report": "on"}, True),
        ({"pain": "2", "pain_back": "on"}, False),
        ({"pain": "6", "pain_hip": "on", "sudden_onset": "on"}, False),
    ],
)
def test_a_diary_entry_with_a_red_flag_says_contact_the_clinic(client, paula, answers, red_flag):
    client.force_login(paula.user)
    response = client.post(reverse("portal:symptoms"), answers, follow=True)
    page = response.content.decode()
    report = SymptomReport.objects.get()
    assert (report.patient, report.source, report.entered_by) == (paula, "patient", paula.user)
    assert bool(report.red_flags) is red_flag
    assert ("Please contact the clinic" in page) is red_flag


def test_a_diary_entry_needs_a_valid_pain_score(client, paula):
    client.force_login(paula.user)
    response = client.post(reverse("portal:symptoms"), {"pain": "11"})
    assert response.context["form"].errors["pain"] == ["Choose a number from 0 to 10."]
    assert not SymptomReport.objects.exists()


def test_a_red_flag_waits_for_a_clinician_and_leaves_once_acknowledged(client, alice, paula):
    client.force_login(paula.user)
    client.post(reverse("portal:symptoms"), {"pain": "8", "pain_back": "on", "sudden_onset": "on"})
    report = SymptomReport.objects.get()
    assert list(SymptomReport.objects.unacknowledged_red_flags()) == [report]
    client.force_login(alice)
    client.post(reverse("patients:symptom_acknowledge", args=[report.pk]))
    report.refresh_from_db()
    assert report.acknowledged_by == alice
    assert not SymptomReport.objects.unacknowledged_red_flags().exists()


def test_a_clinician_enters_a_report_on_the_patients_behalf(client, alice, paula):
    client.force_login(alice)
    client.post(
        reverse("patients:symptom_create", args=[paula.pk]),
        {"pain": "4", "pain_other": "on", "note": "Left knee after gardening"},
    )
    report = SymptomReport.objects.get()
    assert (report.source, report.entered_by, report.note) == (
        "clinician",
        alice,
        "Left knee after gardening",
    )


def signs_in(client, username, password) -> bool:
    """Sign in through the real sign-in page."""
    client.post(reverse("login"), {"username": username, "password": password})
    return "_auth_user_id" in client.session


def invite(client, alice, patient):
    client.force_login(alice)
    response = client.post(reverse("patients:portal_invite", args=[patient.pk]))
    client.logout()
    return response.context["invitation"]


def test_an_invitation_link_sets_a_password_once(client, alice, pete):
    pete.user = None
    pete.save()
    invitation = invite(client, alice, pete)
    run_tasks()
    assert len(mail.outbox) == 0  # no email on record: the link is shown to copy
    assert not invitation.user.has_usable_password()
    path = invitation.link.split("testserver", 1)[1]
    assert client.get(path).status_code == 200
    new = {"new_password1": "Calcium-and-sunshine-42", "new_password2": "Calcium-and-sunshine-42"}
    response = client.post(path, new, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    client.logout()
    again = client.get(path)
    assert again.status_code == 410 and "no longer works" in again.content.decode()
    assert signs_in(client, invitation.user.username, "Calcium-and-sunshine-42")


def test_an_invitation_is_emailed_when_an_address_exists(client, alice, paula):
    paula.email = "paula@example.org"
    paula.save()
    invitation = invite(client, alice, paula)
    assert invitation.emailed
    assert mail.outbox == []  # in the outbox, for a worker to send
    assert run_tasks() == 1
    assert mail.outbox[0].to == ["paula@example.org"]
    assert invitation.link in mail.outbox[0].body


def test_an_invitation_expires_after_seven_days(client, alice, paula, time_machine):
    time_machine.move_to(datetime.datetime(2026, 1, 1, 9, 0))
    invitation = invite(client, alice, paula)
    path = invitation.link.split("testserver", 1)[1]
    time_machine.move_to(datetime.datetime(2026, 1, 7, 9, 0))
    assert invitation_token.check_token(invitation.user, path.rstrip("/").split("/")[-1])
    time_machine.move_to(datetime.datetime(2026, 1, 9, 9, 0))
    assert client.get(path).status_code == 410


def test_revoked_access_blocks_sign_in(client, alice, paula):
    paula.user.set_password("Calcium-and-sunshine-42")
    paula.user.save()
    client.force_login(alice)
    client.post(reverse("patients:portal_revoke", args=[paula.pk]))
    client.logout()
    assert not signs_in(client, "paula", "Calcium-and-sunshine-42")


def test_a_patient_reads_an_attached_page_with_its_reason_and_the_clinic_sees_it_read(
    client, alice, paula_released, django_capture_on_commit_callbacks
):
    from education.models import PatientEducation
    from education.services import education_sync

    education_sync(patient=paula_released)
    attachment = PatientEducation.objects.get(
        patient=paula_released, page__slug="understanding-osteoporosis"
    )
    assert "T-score of −2.7 at the lumbar spine" in attachment.reason
    client.force_login(paula_released.user)
    home = client.get(reverse("portal:home")).content.decode()
    assert "Understanding osteoporosis" in home or attachment.page.title in home
    page = client.get(reverse("portal:education", args=[attachment.pk])).content.decode()
    assert "Why you have this page:" in page and attachment.page.title in page
    attachment.refresh_from_db()
    assert attachment.first_viewed_at is not None
    client.force_login(alice)
    record = client.get(reverse("patient_record", args=[paula_released.pk])).content.decode()
    assert attachment.page.title in record


def test_symptom_reports_bring_the_back_pain_pages(client, paula):
    from education.models import PatientEducation
    from education.services import education_sync

    client.force_login(paula.user)
    client.post(reverse("portal:symptoms"), {"pain": "3", "pain_back": "on"})
    education_sync(patient=paula)
    slugs = set(
        PatientEducation.objects.indicated()
        .filter(patient=paula)
        .values_list("page__slug", flat=True)
    )
    assert "why-osteoporosis-pain" in slugs


def test_a_premenopausal_patient_reads_z_scores_and_a_z_score_chart(client, hologic):
    from tests.conftest import make_patient, make_user

    young = make_patient("Z-1", date_of_birth=D(1990, 5, 5), menopause="pre", user=make_user("zoe"))
    for day, t, z in ((D(2022, 1, 1), "-2.7", "-1.4"), (D(2024, 1, 1), "-2.8", "-1.5")):
        record = scan(young, hologic, day, ("lumbar_spine", "", "0.800", t))
        record.measurements.update(z_score=z)
    client.force_login(young.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "within the expected range for your age" in page
    assert "Z-score" in page and "−1.5" in page
    assert "osteoporosis range" not in page
    assert reverse("portal:chart", args=["tscore"]) not in page
    assert reverse("portal:chart", args=["zscore"]) in page
    chart = client.get(reverse("portal:chart", args=["zscore"]))
    svg = chart.content.decode()
    assert chart["Content-Type"] == "image/svg+xml"
    assert "Below the expected range for age" in svg and "Osteoporosis" not in svg


def test_a_newer_scan_awaiting_review_is_not_called_overdue(client, paula, hologic):
    scan(paula, hologic, D(2019, 1, 1), ("lumbar_spine", "", "0.842", "-2.0"))
    client.force_login(paula.user)
    assert "it is overdue" in client.get(reverse("portal:home")).content.decode()
    scan(paula, hologic, D(2026, 10, 1), ("lumbar_spine", "", "0.840", "-2.0"), status="draft")
    page = client.get(reverse("portal:home")).content.decode()
    assert "it is overdue" not in page and "You have had a newer scan" in page


def test_a_clinician_dates_a_report_taken_by_phone(client, alice, paula):
    client.force_login(alice)
    url = reverse("patients:symptom_create", args=[paula.pk])
    future = client.post(url, {"reported_on": "2999-01-01", "pain": "2", "pain_back": "on"})
    assert "date of the report" in future.content.decode().lower()
    client.post(url, {"reported_on": "2026-01-05", "pain": "2", "pain_back": "on"})
    report = SymptomReport.objects.get()
    assert report.reported_at.date() == D(2026, 1, 5)
