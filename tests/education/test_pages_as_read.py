"""Education pages as each reader gets them: pending revisions, the sanitizer's report, links
between pages, parts for women or men, "when to seek help" and the "new" mark."""

import datetime
import re

import pytest
from django.urls import reverse

from education.loader import read_pages
from education.models import AttachmentStatus, EducationPage, PatientEducation
from education.rendering import linked_slugs, removals, render_page
from education.services import education_sync

from .records import add_scan, page, page_form

pytestmark = pytest.mark.django_db

CALCIUM_LINE = "Calcium and vitamin D are both important for bone health."


def attach(patient, slug: str) -> PatientEducation:
    return PatientEducation.objects.create(
        patient=patient, page=page(slug), source="rule", reason="Chosen for you."
    )


def save_as_editor(client, edited: EducationPage, **changes):
    data = page_form(edited, **changes)
    response = client.post(reverse("admin:education_educationpage_change", args=[edited.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    return response


def section(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}">(.*?)</section>', html, re.S)
    assert match, f"no {testid} section"
    return match.group(1)


# --- Pending revisions -----------------------------------------------------------------------


def test_paula_reads_the_published_text_until_eddie_publishes_his_edit(paula, eddie, client):
    attachment = attach(paula, "calcium-vitamin-d")
    portal_url = reverse("portal:education", args=[attachment.pk])
    calcium = page("calcium-vitamin-d")
    client.force_login(eddie)
    save_as_editor(client, calcium, body=calcium.body.replace(CALCIUM_LINE, "Edited line."))
    revision = calcium.revisions.get()

    client.force_login(paula.user)
    before = client.get(portal_url).content.decode()
    client.force_login(eddie)
    client.post(reverse("admin:education_educationpage_publish", args=[calcium.pk, revision.pk]))
    client.force_login(paula.user)
    after = client.get(portal_url).content.decode()

    assert CALCIUM_LINE in before and "Edited line." not in before
    assert "Edited line." in after and CALCIUM_LINE not in after


def test_a_second_edit_replaces_the_pending_revision_and_both_are_kept(eddie, client):
    calcium = page("calcium-vitamin-d")
    client.force_login(eddie)
    save_as_editor(client, calcium, summary="First try.")
    form = client.get(reverse("admin:education_educationpage_change", args=[calcium.pk]))
    save_as_editor(client, calcium, summary="Second try.")

    assert "First try." in form.content.decode()  # the form opens on the pending revision
    assert 'data-testid="pending-notice"' in form.content.decode()
    states = dict(calcium.revisions.values_list("summary", "state"))
    assert states == {"First try.": "superseded", "Second try.": "pending"}
    history = client.get(reverse("admin:education_educationpage_history", args=[calcium.pk]))
    assert "Replaced by a later revision" in history.content.decode()
    assert page("calcium-vitamin-d").summary == calcium.summary  # still the published one


def test_saving_the_pending_revision_unchanged_keeps_it(eddie, client):
    calcium = page("calcium-vitamin-d")
    client.force_login(eddie)
    save_as_editor(client, calcium, summary="First try.")

    save_as_editor(client, calcium, summary="First try.", mark_reviewed="on")

    assert list(calcium.revisions.values_list("state", flat=True)) == ["pending"]
    assert page("calcium-vitamin-d").reviewed_by == eddie  # the review is recorded at once


def test_a_draft_page_changes_at_once(eddie, client):
    draft = EducationPage.objects.create(
        slug="draft", title="Draft", summary="Soon.", body="## Soon", status="draft", order=1
    )
    client.force_login(eddie)

    save_as_editor(client, draft, body="## Now")

    draft.refresh_from_db()
    assert draft.body == "## Now" and not draft.revisions.exists()


def test_a_published_revision_cannot_be_published_again(eddie, client):
    calcium = page("calcium-vitamin-d")
    client.force_login(eddie)
    save_as_editor(client, calcium, summary="New summary.")
    revision = calcium.revisions.get()
    url = reverse("admin:education_educationpage_publish", args=[calcium.pk, revision.pk])
    client.post(url)

    response = client.post(url, follow=True)

    assert "only a revision waiting to be published can be published" in (response.content.decode())
    assert (
        page("calcium-vitamin-d")
        .history.filter(history_change_reason__startswith="Published")
        .count()
        == 1
    )


# --- The revision's page: preview, sanitizer report, diff --------------------------------------


def test_the_revision_page_previews_it_sanitized_and_lists_what_is_removed(eddie, client):
    calcium = page("calcium-vitamin-d")
    body = (
        calcium.body
        + "\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2)) "
        + '<span onclick="x()">kept text</span> [our page](page:no-such-page) '
        + "[NHS](https://www.nhs.uk/) [exercise](page:exercise-bone-health)"
    )
    client.force_login(eddie)
    response = save_as_editor(client, calcium, body=body)

    html = client.get(response["Location"]).content.decode()

    preview = section(html, "revision-preview")
    assert "alert(" not in preview and "javascript:" not in preview and "onclick" not in preview
    assert "kept text" in preview
    exercise = page("exercise-bone-health")
    exercise = reverse("admin:education_educationpage_preview", args=[exercise.pk])
    assert f'<a href="{exercise}"' in preview
    report = section(html, "sanitizer-report")
    assert "&lt;script&gt; element" in report and "removed with everything inside it" in report
    assert "link to javascript:alert(2)" in report
    assert "&lt;span&gt; tag" in report
    assert "no-such-page" in report and "there is no page with that address" in report
    assert "https://www.nhs.uk/" in report  # listed as leaving the site, and kept
    assert "Publish this revision" in html


def test_the_sanitizer_report_is_empty_for_plain_markdown():
    assert removals("## Heading\n\nText with [a link](https://example.org) and **bold**.") == []


def test_the_revision_diff_shows_rendered_text_side_by_side(eddie, client):
    calcium = page("calcium-vitamin-d")
    client.force_login(eddie)
    response = save_as_editor(client, calcium, body="## Calcium\n\nNew **bold** words.")

    page_html = client.get(response["Location"])

    changes = {change.name: change for change in page_html.context["changes"]}
    rows = changes["body"].rows
    assert any("New bold words." in row.after for row in rows)  # rendered, not Markdown
    assert not any("**" in row.after for row in rows)
    html = page_html.content.decode()
    assert '<th scope="col">Published page</th><th scope="col">This revision</th>' in html


# --- Links between pages --------------------------------------------------------------------


def test_every_link_between_pages_in_the_shipped_content_resolves():
    slugs = {source.slug for source in read_pages()}
    for source in read_pages():
        for slug in linked_slugs(source.body):
            assert slug in slugs, f"{source.slug} links to a missing page {slug!r}"


def test_every_mention_of_our_page_is_a_link():
    for source in read_pages():
        for sentence in re.findall(r"[^.]*\b[Oo]ur pages? on [^.]*\.", source.body):
            assert "(page:" in sentence, f"{source.slug}: unlinked mention: {sentence.strip()}"


def test_a_page_link_is_the_patients_own_page_or_the_page_on_its_own(paula, client):
    rehab = attach(paula, "gentle-rehabilitation")
    compression = attach(paula, "compression-fractures")
    attach(paula, "risk-factors")
    client.force_login(paula.user)

    compression_html = client.get(reverse("portal:education", args=[compression.pk]))
    rehab_html = client.get(reverse("portal:education", args=[rehab.pk]))
    risk = PatientEducation.objects.get(page__slug="risk-factors")
    risks = client.get(reverse("portal:education", args=[risk.pk])).content.decode()
    library = client.get(reverse("portal:page", args=["calcium-vitamin-d"]))

    own = reverse("portal:education", args=[rehab.pk])
    assert f'<a href="{own}" rel="noopener noreferrer">Our page on gentle rehabilitation</a>' in (
        compression_html.content.decode()
    )
    assert rehab_html.status_code == 200
    assert f'<a href="{reverse("portal:page", args=["calcium-vitamin-d"])}"' in risks
    assert library.status_code == 200 and "Calcium and vitamin D" in library.content.decode()


def test_a_link_to_an_unpublished_page_is_plain_text_for_patients(paula, client):
    EducationPage.objects.filter(slug="gentle-rehabilitation").update(status="draft")
    compression = attach(paula, "compression-fractures")
    client.force_login(paula.user)

    html = client.get(reverse("portal:education", args=[compression.pk])).content.decode()

    assert "Our page on gentle rehabilitation explains" in html
    assert "page:gentle" not in html
    assert client.get(reverse("portal:page", args=["gentle-rehabilitation"])).status_code == 404


# --- Parts for women or men, and when to seek help -----------------------------------------


def test_reader_parts_go_to_their_readers_only():
    body = "Everyone.\n\n::: for women\nFor women.\n:::\n::: for men\nFor men.\n:::\n"

    assert "For women." in render_page(body, reader="women")
    assert "For men." not in render_page(body, reader="women")
    assert "For men." in render_page(body, reader="men")
    assert "For women." in render_page(body) and "For men." in render_page(body)


def test_pete_reads_no_menopause_in_when_to_seek_help_and_paula_does(paula, pete, client):
    pages = {}
    for patient in (paula, pete):
        attachment = attach(patient, "when-to-seek-help")
        client.force_login(patient.user)
        pages[patient.given_name] = client.get(
            reverse("portal:education", args=[attachment.pk])
        ).content.decode()

    assert "menopause" not in pages["Pete"].lower()
    assert "osteoporosis runs in your family" in pages["Pete"]
    assert "gone through the menopause" in pages["Paula"]
    seek = re.search(r'data-testid="seek-help">(.*?)</ul>', pages["Pete"], re.S).group(1)
    assert "menopause" not in seek and "family history of osteoporosis" in seek
    seek = re.search(r'data-testid="seek-help">(.*?)</ul>', pages["Paula"], re.S).group(1)
    assert "reached the menopause" in seek


# --- "New": not opened since it was attached ------------------------------------------------


def test_new_means_not_opened_since_it_was_attached(paula, client, hologic):
    add_scan(paula, hologic, datetime.date(2024, 3, 1), "-2.7")
    education_sync(patient=paula)
    attachment = PatientEducation.objects.filter(patient=paula).first()
    client.force_login(paula.user)
    home = reverse("portal:home")
    new_badges = client.get(home).content.decode().count(">New</span>")

    client.get(reverse("portal:education", args=[attachment.pk]))
    after_opening = client.get(home).content.decode().count(">New</span>")
    # No longer indicated, then indicated again: new again.
    PatientEducation.objects.filter(pk=attachment.pk).update(
        status=AttachmentStatus.NO_LONGER_INDICATED
    )
    education_sync(patient=paula)
    again = client.get(home).content.decode().count(">New</span>")

    attachment.refresh_from_db()
    assert new_badges == PatientEducation.objects.filter(patient=paula).count() > 1
    assert after_opening == new_badges - 1
    assert attachment.first_viewed_at is not None and attachment.is_indicated
    assert again == new_badges


# --- Finding labels -------------------------------------------------------------------------


def test_the_page_list_shows_finding_labels_not_codes(eddie, client):
    client.force_login(eddie)

    response = client.get(reverse("admin:education_educationpage_changelist"))

    rows = response.content.decode().split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert "risk_low_calcium_vitamin_d" not in rows and "postmenopausal" not in rows
    assert "Risk factor: low calcium or vitamin D intake" in rows
