"""The guide's pages arrive published through a migration, and never overwrite an editor's work."""

import pytest

from education.loader import (
    CONTENT_DIR,
    load_content,
    parse_page,
    propose_content_updates,
    read_pages,
)
from education.models import EducationPage, PageRevision

pytestmark = pytest.mark.django_db

SOURCES = read_pages()


def test_every_content_file_is_a_page():
    assert len(SOURCES) == len(list(CONTENT_DIR.glob("*.md"))) >= 16
    assert set(EducationPage.objects.values_list("slug", flat=True)) >= {s.slug for s in SOURCES}


@pytest.mark.parametrize("source", SOURCES, ids=lambda source: source.slug)
def test_the_migration_created_the_page_published_as_written(source):
    page = EducationPage.objects.get(slug=source.slug)

    assert page.status == "published"
    assert (page.title, page.summary, page.audience, page.order) == (
        source.title,
        source.summary,
        source.audience,
        source.order,
    )
    assert sorted(page.triggers) == sorted(source.triggers)
    assert page.body.strip() == source.body.strip()
    first = page.history.earliest("history_date")
    assert first.history_type == "+"
    assert first.history_change_reason == f"Loaded from education/content/{source.slug}.md"


def test_loading_again_never_overwrites_an_edited_page():
    page = EducationPage.objects.get(slug="calcium-vitamin-d")
    page.title = "Calcium and vitamin D, as revised by the clinic"
    page.status = "draft"
    page.save()

    created = load_content(EducationPage)

    assert created == []
    page.refresh_from_db()
    assert page.title == "Calcium and vitamin D, as revised by the clinic"
    assert page.status == "draft"
    assert EducationPage.objects.count() == len(SOURCES)


def test_a_new_content_file_is_loaded_published(tmp_path):
    (tmp_path / "new-page.md").write_text(
        "---\nslug: new-page\ntitle: New page\nsummary: Something new.\naudience: patients\n"
        "order: 999\ntriggers: risk_smoking, osteoporosis\n---\n## Heading\n\nText.\n",
        encoding="utf-8",
    )
    (tmp_path / "calcium-vitamin-d.md").write_text(
        "---\nslug: calcium-vitamin-d\ntitle: Replaced?\nsummary: No.\naudience: patients\n"
        "order: 1\ntriggers:\n---\nNo.\n",
        encoding="utf-8",
    )

    created = load_content(EducationPage, directory=tmp_path)

    assert created == ["new-page"]
    page = EducationPage.objects.get(slug="new-page")
    assert page.status == "published"
    assert page.triggers == ["osteoporosis", "risk_smoking"]  # vocabulary order
    assert EducationPage.objects.get(slug="calcium-vitamin-d").title == "Calcium and vitamin D"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no front matter\n", "must start with"),
        ("---\nslug: x\n", "no closing"),
        ("---\nslug: x\n---\nBody", "missing title"),
        (
            "---\nslug: x\ntitle: X\nsummary: S\naudience: everyone\norder: 1\ntriggers:\n---\n",
            "audience",
        ),
        (
            "---\nslug: x\ntitle: X\nsummary: S\naudience: patients\norder: 1\n"
            "triggers: osteopenia\n---\n",
            "unknown trigger codes osteopenia",
        ),
    ],
)
def test_a_malformed_content_file_is_refused_with_the_reason(text, message):
    with pytest.raises(ValueError, match=message):
        parse_page(text, "x.md")


def test_changed_shipped_text_reaches_a_database_as_a_pending_revision():
    shipped = EducationPage.objects.get(slug="when-to-seek-help")
    older = shipped.body.replace("::: for women\n", "").replace(":::\n", "")
    EducationPage.objects.filter(pk=shipped.pk).update(body=older)

    proposed = propose_content_updates(EducationPage, PageRevision)

    assert proposed == ["when-to-seek-help"]  # the other pages already say what the files say
    revision = PageRevision.objects.get()
    assert revision.state == "pending" and revision.body == shipped.body
    assert EducationPage.objects.get(pk=shipped.pk).body == older  # live until published
