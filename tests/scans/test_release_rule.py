"""The clinic's release rule (docs/clinical-rules.md §16.1): after review, at once when final,
or a set number of days after final unless a clinician holds the result with a reason."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from osteoclinic import worklist
from outbox.models import Message
from patients.models import ClinicDetails, ReleaseRule
from scans.models import DexaScan, ScanStatus
from tests.scans.test_scan_pages import scan_post


def set_rule(rule: str, days: int = 7) -> ClinicDetails:
    clinic = ClinicDetails.current()
    clinic.release_rule, clinic.release_after_days = rule, days
    clinic.save()
    return clinic


def release_due() -> str:
    out = io.StringIO()
    call_command("release_due_results", stdout=out)
    return out.getvalue()


@pytest.fixture
def paula_by_email(paula):
    paula.user.email = "paula@example.org"
    paula.user.save()
    return paula


def days_ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def test_after_review_a_saved_scan_waits_for_a_clinician(client, alice, paula_by_email, hologic):
    client.force_login(alice)
    client.post(reverse("scans:scan_create", args=[paula_by_email.pk]), scan_post(hologic))
    scan = DexaScan.objects.get()
    assert scan.status == ScanStatus.DRAFT and scan.final_at is not None
    DexaScan.objects.filter(pk=scan.pk).update(final_at=days_ago(400))
    assert "Released 0 scans." in release_due()
    assert not Message.objects.exists()
    client.force_login(paula_by_email.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Your results appear here once a clinician has reviewed them." in page


def test_at_once_a_saved_scan_is_released_and_the_patient_told(
    client, alice, paula_by_email, hologic
):
    set_rule(ReleaseRule.AT_ONCE)
    client.force_login(alice)
    client.post(reverse("scans:scan_create", args=[paula_by_email.pk]), scan_post(hologic))
    scan = DexaScan.objects.get()
    assert scan.status == ScanStatus.RELEASED and scan.reviewed_by is None
    assert Message.objects.get().subject == "A new result is in your portal"
    client.force_login(paula_by_email.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Your results appear here as soon as they are final." in page
    assert "Scan of 6 May 2024" in page


def test_at_once_the_daily_job_releases_imported_drafts(paula_scan):
    set_rule(ReleaseRule.AT_ONCE)
    assert f"Released 1 scan: scan {paula_scan.pk} of 2023-03-03." in release_due()
    paula_scan.refresh_from_db()
    assert paula_scan.status == ScanStatus.RELEASED


def test_days_after_final_the_daily_job_releases_those_due_and_not_those_held(
    client, alice, paula, pete, hologic
):
    set_rule(ReleaseRule.AFTER_DAYS, days=7)
    due = DexaScan.objects.create(
        patient=paula, device=hologic, date=datetime.date(2024, 1, 2), final_at=days_ago(8)
    )
    early = DexaScan.objects.create(
        patient=paula, device=hologic, date=datetime.date(2024, 6, 2), final_at=days_ago(3)
    )
    held = DexaScan.objects.create(
        patient=pete, device=hologic, date=datetime.date(2024, 1, 2), final_at=days_ago(9)
    )
    client.force_login(alice)
    review = reverse("scans:scan_review", args=[held.pk])
    page = client.get(review).content.decode()
    assert "Hold from timed release" in page and "7 days after it was final" in page
    # A hold needs its reason, said next to the field.
    response = client.post(review, {"action": "hold", "reason": "  "})
    assert response.status_code == 200
    assert "Say why the result is held." in response.content.decode()
    response = client.post(review, {"action": "hold", "reason": "Discuss at the visit first"})
    assert response["Location"] == review
    held.refresh_from_db()
    assert (held.release_held_by, held.release_held_reason) == (
        "alice",
        "Discuss at the visit first",
    )
    assert "Held from the clinic's timed release by alice" in client.get(review).content.decode()
    unreleased = next(s for s in worklist.build(datetime.date.today()) if s.key == "unreleased")
    why = next(row["why"] for row in unreleased.rows if row["object"] == held)
    assert why.endswith("is draft; held from timed release: Discuss at the visit first")

    assert f"Released 1 scan: scan {due.pk} of 2024-01-02." in release_due()
    statuses = dict(DexaScan.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: ScanStatus.RELEASED,
        early.pk: ScanStatus.DRAFT,
        held.pk: ScanStatus.DRAFT,
    }
    client.force_login(paula.user)
    page = client.get(reverse("portal:home")).content.decode()
    assert "Your results appear here 7 days after they are final" in page


def test_a_held_result_is_released_by_a_clinician_and_the_hold_cleared(client, alice, paula_scan):
    set_rule(ReleaseRule.AFTER_DAYS)
    client.force_login(alice)
    review = reverse("scans:scan_review", args=[paula_scan.pk])
    client.post(review, {"action": "hold", "reason": "Discuss first"})
    paula_scan.refresh_from_db()
    opened = paula_scan.updated_at.isoformat()
    client.post(review, {"action": "release", "opened": opened})
    paula_scan.refresh_from_db()
    assert paula_scan.status == ScanStatus.RELEASED
    assert (paula_scan.release_held_reason, paula_scan.release_held_at) == ("", None)


def test_the_clinic_details_keep_one_row_and_a_year_at_most(db):
    clinic = ClinicDetails.current()
    assert clinic.release_rule == ReleaseRule.REVIEW  # the default, read without a row
    assert not ClinicDetails.objects.exists()
    clinic.save()
    ClinicDetails(name="Another clinic").save()
    assert list(ClinicDetails.objects.values_list("pk", "name")) == [(1, "Another clinic")]
    clinic = ClinicDetails.current()
    clinic.release_after_days = 400
    with pytest.raises(IntegrityError), transaction.atomic():
        clinic.save()
