"""education_sync keeps a patient's pages in step with the record, and never more than that."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command

from education.models import (
    AttachmentStatus,
    EducationPage,
    PatientEducation,
    Source,
)
from education.services import SyncResult, education_attach, education_detach, education_sync
from patients.models import Menopause
from scans.services import scan_mark_entered_in_error, scan_review

from .records import add_fracture, add_scan, page

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2026, 12, 15)
OSTEOPOROSIS_PAGES = {"understanding-osteoporosis", "calcium-vitamin-d", "exercise-bone-health"}
MENOPAUSE_PAGES = {"menopause-bone-health", "risk-factors", "when-to-seek-help"}


def attached(patient, status=AttachmentStatus.INDICATED) -> set[str]:
    return set(
        PatientEducation.objects.filter(patient=patient, status=status).values_list(
            "page__slug", flat=True
        )
    )


@pytest.fixture
def paula_osteoporosis(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.7")
    return paula


def test_sync_attaches_the_published_pages_that_answer_the_findings(paula_osteoporosis):
    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert attached(paula_osteoporosis) == OSTEOPOROSIS_PAGES | MENOPAUSE_PAGES
    assert result == SyncResult(attached=6)
    attachment = PatientEducation.objects.get(page__slug="understanding-osteoporosis")
    assert attachment.source == Source.RULE
    assert attachment.finding_code == "osteoporosis"
    assert attachment.added_by is None
    assert attachment.reason == (
        "Your scan on 3 March 2026 showed a T-score of −2.7 at the lumbar spine, "
        "in the osteoporosis range."
    )


def test_a_second_sync_changes_nothing_not_even_history(paula_osteoporosis):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    rows = PatientEducation.objects.count()
    versions = PatientEducation.history.count()

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result == SyncResult()
    assert not result.changed
    assert PatientEducation.objects.count() == rows
    assert PatientEducation.history.count() == versions


def test_pages_that_stop_applying_are_marked_no_longer_indicated_and_kept(paula_osteoporosis):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    paula_osteoporosis.menopause = Menopause.PERI
    paula_osteoporosis.save()

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result == SyncResult(no_longer_indicated=3)
    assert attached(paula_osteoporosis, AttachmentStatus.NO_LONGER_INDICATED) == MENOPAUSE_PAGES
    assert attached(paula_osteoporosis) == OSTEOPOROSIS_PAGES
    assert PatientEducation.objects.filter(patient=paula_osteoporosis).count() == 6


def test_a_page_that_applies_again_is_indicated_again(paula_osteoporosis):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    paula_osteoporosis.menopause = Menopause.PERI
    paula_osteoporosis.save()
    education_sync(patient=paula_osteoporosis, today=TODAY)
    paula_osteoporosis.menopause = Menopause.POST
    paula_osteoporosis.save()

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result == SyncResult(attached=3)
    assert attached(paula_osteoporosis) == OSTEOPOROSIS_PAGES | MENOPAUSE_PAGES


def test_the_reason_follows_the_record(paula_osteoporosis, hologic):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    add_scan(paula_osteoporosis, hologic, D(2026, 11, 2), "-3.0", bmd="0.760")

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result.updated == 3
    reason = PatientEducation.objects.get(page__slug="understanding-osteoporosis").reason
    assert reason.startswith("Your scan on 2 November 2026 showed a T-score of −3.0")


def test_several_findings_leading_to_one_page_give_every_reason(paula_osteoporosis):
    paula_osteoporosis.low_calcium_vitamin_d = True
    paula_osteoporosis.save()

    education_sync(patient=paula_osteoporosis, today=TODAY)

    attachment = PatientEducation.objects.get(page__slug="calcium-vitamin-d")
    assert attachment.finding_code == "osteoporosis"  # the most specific one
    assert attachment.reason == (
        "Your scan on 3 March 2026 showed a T-score of −2.7 at the lumbar spine, in the "
        "osteoporosis range. Your record notes that you may get too little calcium or vitamin D."
    )


def test_a_page_a_clinician_detached_is_never_attached_again(paula_osteoporosis, alice):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    detached = PatientEducation.objects.get(page__slug="exercise-bone-health")
    education_detach(attachment=detached, user=alice, note="Under physiotherapy already")

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result == SyncResult()
    detached.refresh_from_db()
    assert detached.status == AttachmentStatus.DETACHED
    assert detached.note == "Under physiotherapy already"


def test_a_clinicians_attachment_is_left_as_the_clinician_made_it(paula, alice):
    breathing = page("breathing-chest-mobility")
    education_attach(patient=paula, page=breathing, user=alice, note="Kyphosis on exam")

    education_sync(patient=paula, today=TODAY)

    attachment = PatientEducation.objects.get(page=breathing)
    assert attachment.status == AttachmentStatus.INDICATED
    assert attachment.source == Source.CLINICIAN
    assert attachment.reason == "Your clinician chose this page for you."


def test_drafts_and_clinician_pages_are_never_attached(paula_osteoporosis):
    EducationPage.objects.create(
        slug="draft-osteoporosis",
        title="Draft",
        summary="Not yet.",
        body="## Draft",
        status="draft",
        audience="patients",
        triggers=["osteoporosis"],
    )
    EducationPage.objects.create(
        slug="staff-osteoporosis",
        title="Staff",
        summary="For staff.",
        body="## Staff",
        status="published",
        audience="clinicians",
        triggers=["osteoporosis"],
    )

    education_sync(patient=paula_osteoporosis, today=TODAY)

    slugs = set(PatientEducation.objects.values_list("page__slug", flat=True))
    assert slugs == OSTEOPOROSIS_PAGES | MENOPAUSE_PAGES


def test_an_unpublished_page_is_no_longer_indicated(paula_osteoporosis):
    education_sync(patient=paula_osteoporosis, today=TODAY)
    EducationPage.objects.filter(slug="exercise-bone-health").update(status="draft")

    result = education_sync(patient=paula_osteoporosis, today=TODAY)

    assert result == SyncResult(no_longer_indicated=1)
    assert attached(paula_osteoporosis, AttachmentStatus.NO_LONGER_INDICATED) == {
        "exercise-bone-health"
    }


def test_releasing_a_scan_attaches_the_osteoporosis_page(
    paula, hologic, alice, django_capture_on_commit_callbacks
):
    scan = add_scan(paula, hologic, datetime.date.today(), "-2.6", status="draft")
    assert "understanding-osteoporosis" not in attached(paula)

    with django_capture_on_commit_callbacks(execute=True):
        scan_review(scan=scan, user=alice, release=True)

    attachment = PatientEducation.objects.get(
        patient=paula, page__slug="understanding-osteoporosis"
    )
    assert "showed a T-score of −2.6 at the lumbar spine" in attachment.reason


def test_a_scan_marked_in_error_takes_its_pages_away(
    paula, hologic, alice, django_capture_on_commit_callbacks
):
    scan = add_scan(paula, hologic, datetime.date.today(), "-2.6")
    education_sync(patient=paula)

    with django_capture_on_commit_callbacks(execute=True):
        scan_mark_entered_in_error(scan=scan, reason="Another patient's scan")

    assert attached(paula, AttachmentStatus.NO_LONGER_INDICATED) == OSTEOPOROSIS_PAGES


@time_machine.travel(datetime.datetime(2026, 12, 15, 9, 0, tzinfo=datetime.UTC), tick=False)
def test_the_daily_command_syncs_everyone_and_reports_counts(paula_osteoporosis, pete):
    pete.smoking = True
    pete.save()
    out = StringIO()

    call_command("sync_education", stdout=out)
    call_command("sync_education", stdout=out)

    first, second = out.getvalue().splitlines()
    # paula: 6 pages; pete: smoking, risk factors.
    assert first == "2 patients: 8 attached, 0 updated, 0 no longer indicated."
    assert second == "2 patients: 0 attached, 0 updated, 0 no longer indicated."


def test_the_daily_command_follows_a_fracture_out_of_its_acute_phase(pete):
    with time_machine.travel(datetime.datetime(2026, 12, 15, 9, 0, tzinfo=datetime.UTC)):
        add_fracture(pete, D(2026, 10, 26), site="vertebral", mechanism="unknown")  # 50 days
        call_command("sync_education", stdout=StringIO())
        assert attached(pete) == {
            "compression-fractures",
            "when-to-seek-help",
            "gentle-rehabilitation",
            "posture-core-strength",
            "after-a-fracture",
        }

    out = StringIO()
    with time_machine.travel(datetime.datetime(2026, 12, 25, 9, 0, tzinfo=datetime.UTC)):
        call_command("sync_education", stdout=out)  # 60 days: rehabilitation only

    assert out.getvalue().strip() == "1 patient: 0 attached, 0 updated, 2 no longer indicated."
    assert attached(pete, AttachmentStatus.NO_LONGER_INDICATED) == {
        "compression-fractures",
        "when-to-seek-help",
    }


def test_a_sync_with_nothing_to_change_takes_a_fixed_number_of_queries(
    paula_osteoporosis, django_assert_max_num_queries
):
    education_sync(patient=paula_osteoporosis, today=TODAY)

    # Lock and read the patient, the record (8), the published pages, the attachments, and
    # the savepoint of the sync's transaction (2).
    with django_assert_max_num_queries(14):
        education_sync(patient=paula_osteoporosis, today=TODAY)


def test_only_published_patient_pages_can_be_attached_by_hand(paula, alice):
    staff_page = page("clinician-pain-red-flags")

    with pytest.raises(ValidationError, match="published pages written for patients"):
        education_attach(patient=paula, page=staff_page, user=alice)

    assert not PatientEducation.objects.exists()


def test_a_fracture_behind_several_findings_is_told_once(pete):
    add_fracture(pete, D(2026, 11, 5), site="vertebral", mechanism="fragility")  # 40 days

    education_sync(patient=pete, today=TODAY)

    # compression-fractures answers both the acute phase and any fragility fracture.
    assert PatientEducation.objects.get(page__slug="compression-fractures").reason == (
        "You had a vertebral (L1) fracture on 5 November 2026: the first 8 weeks are the acute "
        "phase."
    )
