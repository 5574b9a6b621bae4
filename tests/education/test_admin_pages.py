"""Editors write pages in the admin: list, edit, preview, compare versions and restore one."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from education.models import EducationPage, PageRevision, PatientEducation

from .records import page, page_form

pytestmark = pytest.mark.django_db

OLD_LINE = "Calcium and vitamin D are both important for bone health."
NEW_LINE = "Calcium and vitamin D both matter for strong bones."


def change_url(edited: EducationPage) -> str:
    return reverse("admin:education_educationpage_change", args=[edited.pk])


def edit_calcium_page(client) -> PageRevision:
    """Edit the published calcium page: the edit is kept as a pending revision."""
    calcium = page("calcium-vitamin-d")
    body = calcium.body.replace(OLD_LINE, NEW_LINE)
    response = client.post(change_url(calcium), page_form(calcium, body=body))
    assert response.status_code == 302, response.context["adminform"].form.errors
    revision = calcium.revisions.get(state="pending")
    assert response["Location"] == revision_url(revision)
    return revision


def revision_url(revision: PageRevision) -> str:
    return reverse("admin:education_educationpage_revision", args=[revision.page_id, revision.pk])


def publish(client, revision: PageRevision) -> EducationPage:
    url = reverse("admin:education_educationpage_publish", args=[revision.page_id, revision.pk])
    assert client.post(url).status_code == 302
    return EducationPage.objects.get(pk=revision.page_id)


def edit_and_publish_calcium_page(client) -> EducationPage:
    return publish(client, edit_calcium_page(client))


def test_eddie_lists_pages_with_status_audience_findings_and_review(eddie, client_for):
    response = client_for(eddie).get(reverse("admin:education_educationpage_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == EducationPage.objects.count()
    html = response.content.decode()
    for heading in ("Status", "Audience", "Findings it answers", "Review due"):
        assert heading in html
    assert "Understanding osteoporosis" in html


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ({"finding": "postural_change"}, {"breathing-chest-mobility", "posture-core-strength"}),
        ({"audience": "clinicians"}, {"clinician-pain-red-flags"}),
        # The page's address, and the page that links to it.
        ({"q": "smoking-alcohol"}, {"smoking-alcohol-caffeine", "risk-factors"}),
        ({"finding": "scan_due", "status": "published"}, {"dxa-scans"}),
    ],
)
def test_eddie_filters_and_searches_pages(query, slugs, eddie, client_for):
    response = client_for(eddie).get(reverse("admin:education_educationpage_changelist"), query)

    found = {p.slug for p in response.context["cl"].result_list}
    assert found == slugs


def test_eddie_changes_a_page_and_the_next_render_shows_the_edit(eddie, client_for):
    client = client_for(eddie)
    calcium = page("calcium-vitamin-d")
    preview = reverse("admin:education_educationpage_preview", args=[calcium.pk])
    assert OLD_LINE in client.get(preview).content.decode()

    versions = calcium.history.count()

    revision = edit_calcium_page(client)

    # Saved, not published: the live page is as it was, for patients and in its history.
    live = client.get(preview).content.decode()
    assert OLD_LINE in live and NEW_LINE not in live
    assert calcium.history.count() == versions
    pending = client.get(revision_url(revision)).content.decode()
    assert NEW_LINE in pending

    edited = publish(client, revision)

    html = client.get(preview).content.decode()
    assert NEW_LINE in html and OLD_LINE not in html
    assert edited.history.latest().history_user == eddie
    assert edited.history.latest().history_change_reason.startswith("Published the revision")
    revision.refresh_from_db()
    assert revision.state == "published"


def test_the_preview_uses_the_portal_partial_and_never_runs_a_script(eddie, client_for):
    client = client_for(eddie)
    calcium = page("calcium-vitamin-d")
    client.post(
        change_url(calcium),
        page_form(calcium, body="## Safe\n\n<script>alert(1)</script>[x](javascript:alert(2))"),
    )
    publish(client, calcium.revisions.get(state="pending"))

    response = client.get(reverse("admin:education_educationpage_preview", args=[calcium.pk]))

    assert "education/page_body.html" in [t.name for t in response.templates]
    html = response.content.decode()
    assert "<h2>Safe</h2>" in html
    assert "alert(" not in html and "javascript:" not in html


def test_the_preview_of_a_draft_says_no_patient_sees_it(eddie, client_for):
    draft = EducationPage.objects.create(
        slug="draft", title="Draft page", summary="Soon.", body="## Soon", status="draft"
    )

    response = client_for(eddie).get(
        reverse("admin:education_educationpage_preview", args=[draft.pk])
    )

    assert "It is a draft: no patient sees it yet." in response.content.decode()


def test_marking_a_page_reviewed_records_the_editor_and_the_next_review(eddie, client_for):
    calcium = page("calcium-vitamin-d")

    client_for(eddie).post(change_url(calcium), page_form(calcium, mark_reviewed="on"))

    calcium.refresh_from_db()
    assert calcium.reviewed_by == eddie
    assert calcium.review_due == timezone.localdate() + datetime.timedelta(days=365)


def test_a_finding_outside_the_vocabulary_is_refused(eddie, client_for):
    calcium = page("calcium-vitamin-d")

    response = client_for(eddie).post(
        change_url(calcium), page_form(calcium, triggers=["osteopenia"])
    )

    assert response.status_code == 200
    assert "triggers" in response.context["adminform"].form.errors
    calcium.refresh_from_db()
    assert "osteopenia" not in calcium.triggers


def test_eddie_sees_what_changed_in_a_version(eddie, client_for):
    client = client_for(eddie)
    edited = edit_and_publish_calcium_page(client)
    latest = edited.history.latest()

    history = client.get(reverse("admin:education_educationpage_history", args=[edited.pk]))
    diff = client.get(
        reverse("admin:education_educationpage_diff", args=[edited.pk, latest.history_id])
    )

    assert history.status_code == 200
    assert "Changes in this version" in history.content.decode()
    assert diff.status_code == 200
    changes = {change.name: change for change in diff.context["changes"]}
    assert set(changes) == {"body"}
    # The rendered text side by side; only the changed words are marked.
    changed = [row for row in changes["body"].rows if row.kind != "same"]
    assert len(changed) == 1 and changed[0].kind == "changed"
    assert changed[0].before.startswith("Calcium and vitamin D <del>")  # unchanged words plain
    assert "important" in changed[0].before and "<ins>" in changed[0].after
    assert "strong" in changed[0].after and "important" not in changed[0].after
    assert '<del><span class="oc-sr-only">[removed: </span>' in diff.content.decode()


def test_eddie_restores_an_earlier_version_as_a_new_version(eddie, client_for):
    client = client_for(eddie)
    edited = edit_and_publish_calcium_page(client)
    original = edited.history.earliest("history_date")
    versions = edited.history.count()
    restore = reverse(
        "admin:education_educationpage_restore", args=[edited.pk, original.history_id]
    )

    confirm = client.get(restore)
    response = client.post(restore)

    assert confirm.status_code == 200
    assert [change.name for change in confirm.context["changes"]] == ["body"]
    # A restore is a revision to publish too: the live page has not changed yet.
    revision = edited.revisions.get(state="pending")
    assert response["Location"] == revision_url(revision)
    edited.refresh_from_db()
    assert NEW_LINE in edited.body and edited.history.count() == versions

    edited = publish(client, revision)

    assert OLD_LINE in edited.body and NEW_LINE not in edited.body
    assert edited.history.count() == versions + 1  # nothing deleted, one version added
    assert edited.history.latest().history_user == eddie
    assert list(edited.revisions.values_list("state", flat=True)) == ["published", "published"]


def test_the_version_form_of_simple_history_cannot_save(eddie, client_for):
    calcium = page("calcium-vitamin-d")
    first = calcium.history.earliest("history_date")
    url = reverse(
        "admin:education_educationpage_simple_history", args=[calcium.pk, first.history_id]
    )

    response = client_for(eddie).post(url, page_form(calcium, title="Sneaky"))

    assert response.status_code == 403
    calcium.refresh_from_db()
    assert calcium.title == "Calcium and vitamin D"


def test_eddie_cannot_delete_a_page(eddie, client_for):
    calcium = page("calcium-vitamin-d")
    client = client_for(eddie)

    response = client.post(
        reverse("admin:education_educationpage_delete", args=[calcium.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert EducationPage.objects.filter(pk=calcium.pk).exists()


def test_eddie_sees_no_patient_data_in_the_admin(eddie, paula, client_for):
    PatientEducation.objects.create(
        patient=paula, page=page("dxa-scans"), source="rule", reason="Scan due."
    )
    client = client_for(eddie)

    index = client.get(reverse("admin:index"))
    patients = client.get(reverse("admin:patients_patient_changelist"))
    attachments = client.get(reverse("admin:education_patienteducation_changelist"))
    one = PatientEducation.objects.get()
    attachment = client.get(reverse("admin:education_patienteducation_change", args=[one.pk]))

    models = {m["object_name"] for app in index.context["app_list"] for m in app["models"]}
    assert models == {"EducationPage"}
    assert patients.status_code == 403
    assert attachments.status_code == 403
    assert attachment.status_code == 403


def test_a_superuser_sees_patients_education_pages(admin_user, paula, client_for):
    PatientEducation.objects.create(
        patient=paula, page=page("dxa-scans"), source="rule", reason="Scan due."
    )

    response = client_for(admin_user).get(reverse("admin:education_patienteducation_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_restoring_the_current_version_changes_nothing(eddie, client_for):
    calcium = page("calcium-vitamin-d")
    current = calcium.history.latest()
    versions = calcium.history.count()

    response = client_for(eddie).post(
        reverse("admin:education_educationpage_restore", args=[calcium.pk, current.history_id])
    )

    assert response.status_code == 302
    assert calcium.history.count() == versions
