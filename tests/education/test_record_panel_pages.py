"""The record page's education panel: what a clinician sees, attaches and detaches."""

import datetime

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import escape

from education.models import AttachmentStatus, EducationPage, PatientEducation, Source
from education.panel import record_panel_context
from education.services import education_mark_viewed, education_sync

from .records import add_scan, page

pytestmark = pytest.mark.django_db

D = datetime.date


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def render_panel(patient, rf, user) -> str:
    request = rf.get(patient.get_absolute_url())
    request.user = user
    context = {"patient": patient, **record_panel_context(patient)}
    return render_to_string("education/_record_panel.html", context, request=request)


@pytest.fixture
def paula_synced(paula, hologic):
    add_scan(paula, hologic, D(2026, 3, 3), "-2.7")
    education_sync(patient=paula, today=D(2026, 12, 15))
    return paula


def test_the_panel_shows_each_page_with_the_reason_the_patient_reads(paula_synced, rf, alice):
    html = render_panel(paula_synced, rf, alice)

    assert "Understanding osteoporosis" in html
    assert (
        "Your scan on 3 March 2026 showed a T-score of −2.7 at the lumbar spine, "
        "in the osteoporosis range." in html
    )
    assert "Finding: Osteoporosis: T-score −2.5 or below" in html
    assert "Not yet viewed" in html
    assert html.count('id="detach-note-') == 6  # one detach form for each page


def test_the_panel_shows_when_the_patient_first_viewed_a_page(paula_synced, rf, alice):
    attachment = PatientEducation.objects.get(page__slug="understanding-osteoporosis")
    with time_machine.travel(datetime.datetime(2026, 12, 16, 10, 0, tzinfo=datetime.UTC)):
        education_mark_viewed(attachment=attachment)

    assert "First viewed 2026-12-16" in render_panel(paula_synced, rf, alice)


def test_a_page_is_marked_viewed_once(paula_synced):
    attachment = PatientEducation.objects.get(page__slug="understanding-osteoporosis")
    first = datetime.datetime(2026, 12, 16, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(first):
        education_mark_viewed(attachment=attachment)
    with time_machine.travel(first + datetime.timedelta(days=3)):
        education_mark_viewed(attachment=attachment)

    attachment.refresh_from_db()
    assert attachment.first_viewed_at == first


def test_the_panel_offers_only_published_patient_pages_not_on_the_list(paula_synced):
    EducationPage.objects.create(
        slug="draft", title="Draft", summary="S.", body="## D", status="draft"
    )

    offered = {p.slug for p in record_panel_context(paula_synced)["attachable_pages"]}

    on_list = set(PatientEducation.objects.indicated().values_list("page__slug", flat=True))
    expected = set(EducationPage.objects.for_patients().values_list("slug", flat=True))
    assert offered == expected - on_list
    assert "draft" not in offered and "clinician-pain-red-flags" not in offered


def test_the_panel_context_takes_two_queries(paula_synced, django_assert_num_queries):
    with django_assert_num_queries(2):
        record_panel_context(paula_synced)


def test_alice_attaches_a_page_with_a_note(paula, alice, client_for):
    breathing = page("breathing-chest-mobility")

    response = client_for(alice).post(
        reverse("education:attach", args=[paula.pk]),
        {"page": breathing.pk, "note": "Shallow breathing since the fracture"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{paula.get_absolute_url()}#education"
    attachment = PatientEducation.objects.get(patient=paula, page=breathing)
    assert attachment.source == Source.CLINICIAN
    assert attachment.added_by == alice
    assert attachment.note == "Shallow breathing since the fracture"
    assert attachment.reason == "Your clinician chose this page for you."
    assert messages_of(response) == ["“Breathing and chest mobility” attached."]


def test_a_page_already_on_the_list_is_not_attached_twice(paula_synced, alice, client_for):
    osteoporosis = page("understanding-osteoporosis")

    response = client_for(alice).post(
        reverse("education:attach", args=[paula_synced.pk]), {"page": osteoporosis.pk}
    )

    assert response.status_code == 302
    assert "cannot be attached" in messages_of(response)[0]
    assert PatientEducation.objects.get(page=osteoporosis).source == Source.RULE


def test_a_draft_cannot_be_attached(paula, alice, client_for):
    draft = EducationPage.objects.create(
        slug="draft", title="Draft", summary="S.", body="## D", status="draft"
    )

    response = client_for(alice).post(
        reverse("education:attach", args=[paula.pk]), {"page": draft.pk}
    )

    assert "cannot be attached" in messages_of(response)[0]
    assert not PatientEducation.objects.exists()


def test_a_page_no_longer_indicated_can_be_attached_by_hand(paula_synced, alice, client_for):
    menopause = PatientEducation.objects.get(page__slug="menopause-bone-health")
    menopause.status = AttachmentStatus.NO_LONGER_INDICATED
    menopause.save()

    client_for(alice).post(
        reverse("education:attach", args=[paula_synced.pk]), {"page": menopause.page_id}
    )

    menopause.refresh_from_db()
    assert menopause.status == AttachmentStatus.INDICATED
    assert menopause.source == Source.CLINICIAN
    assert menopause.added_by == alice


def test_alice_detaches_a_page_with_a_note(paula_synced, alice, client_for):
    exercise = PatientEducation.objects.get(page__slug="exercise-bone-health")

    response = client_for(alice).post(
        reverse("education:detach", args=[exercise.pk]), {"note": "Sees a physiotherapist"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{paula_synced.get_absolute_url()}#education"
    exercise.refresh_from_db()
    assert exercise.status == AttachmentStatus.DETACHED
    assert exercise.note == "Sees a physiotherapist"
    assert exercise.history.latest().history_user == alice
    assert messages_of(response) == ["“Exercise for your bones, and movements to avoid” detached."]


def test_detaching_an_unknown_attachment_is_not_found(alice, client_for):
    response = client_for(alice).post(reverse("education:detach", args=[999999]))

    assert response.status_code == 404


def test_the_forms_answer_only_posts(paula, alice, client_for):
    response = client_for(alice).get(reverse("education:attach", args=[paula.pk]))

    assert response.status_code == 405


def test_a_patient_cannot_change_their_own_pages(paula_synced, client_for):
    exercise = PatientEducation.objects.get(page__slug="exercise-bone-health")

    response = client_for(paula_synced.user).post(reverse("education:detach", args=[exercise.pk]))

    assert response.status_code == 403
    exercise.refresh_from_db()
    assert exercise.status == AttachmentStatus.INDICATED


def test_the_page_body_partial_shows_title_summary_reason_and_body():
    calcium = page("calcium-vitamin-d")

    html = render_to_string(
        "education/page_body.html", {"page": calcium, "reason": "Your record notes X."}
    )

    assert "<h1" in html and "Calcium and vitamin D</h1>" in html
    assert escape(calcium.summary) in html
    assert "Why you have this page:</strong> Your record notes X." in html
    assert "<h2>Why they matter</h2>" in html
