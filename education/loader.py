"""The initial education pages, read from education/content/*.md.

Each file starts with front matter between two `---` lines, one `key: value` a line (slug,
title, summary, audience, order, triggers as comma-separated codes), then the Markdown body.

Data migrations call `load_content` with the historical models they get from `apps`. It only
creates pages whose slug does not exist yet, so a page an editor has changed in the admin is
never overwritten by a later migration that loads new files.
"""

from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from .triggers import in_vocabulary_order, unknown_codes

CONTENT_DIR = Path(__file__).resolve().parent / "content"
REQUIRED_KEYS = ("slug", "title", "summary", "audience", "order", "triggers")
AUDIENCES = ("patients", "clinicians")


@dataclass(frozen=True)
class PageSource:
    slug: str
    title: str
    summary: str
    audience: str
    order: int
    triggers: list[str]
    body: str


def parse_page(text: str, name: str = "page") -> PageSource:
    """A content file's front matter and body; ValueError says what is wrong and where."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{name}: must start with a '---' line")
    end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---"), None)
    if end is None:
        raise ValueError(f"{name}: front matter has no closing '---' line")
    meta: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{name}: front-matter line without ':': {line!r}")
        if key.strip() in meta:
            raise ValueError(f"{name}: {key.strip()!r} is given twice")
        meta[key.strip()] = value.strip()
    missing = [key for key in REQUIRED_KEYS if key not in meta]
    if missing:
        raise ValueError(f"{name}: missing {', '.join(missing)}")
    if meta["audience"] not in AUDIENCES:
        raise ValueError(f"{name}: audience must be one of {', '.join(AUDIENCES)}")
    if not meta["order"].isdigit():
        raise ValueError(f"{name}: order must be a whole number")
    triggers = [code.strip() for code in meta["triggers"].split(",") if code.strip()]
    if unknown := unknown_codes(triggers):
        raise ValueError(f"{name}: unknown trigger codes {', '.join(unknown)}")
    return PageSource(
        slug=meta["slug"],
        title=meta["title"],
        summary=meta["summary"],
        audience=meta["audience"],
        order=int(meta["order"]),
        triggers=in_vocabulary_order(triggers),
        body="\n".join(lines[end + 1 :]).strip() + "\n",
    )


def read_pages(directory: Path = CONTENT_DIR) -> list[PageSource]:
    """Every content file in `directory`, in file-name order."""
    return [
        parse_page(path.read_text(encoding="utf-8"), path.name)
        for path in sorted(directory.glob("*.md"))
    ]


def load_content(page_model, history_model=None, directory: Path = CONTENT_DIR) -> list[str]:
    """Create, published, each content page whose slug is new; the slugs created.

    `page_model` and `history_model` are EducationPage and its history model from a migration's
    `apps`: there history is not recorded by itself, so the first version is written here, and
    the first edit in the admin has a version to compare with and to restore. With the real
    EducationPage, leave `history_model` out (its history records itself).
    """
    sources = read_pages(directory)
    existing = set(page_model.objects.values_list("slug", flat=True))
    created = []
    now = timezone.now()
    for source in sources:
        if source.slug in existing:
            continue
        page = page_model.objects.create(
            slug=source.slug,
            title=source.title,
            summary=source.summary,
            body=source.body,
            audience=source.audience,
            status="published",
            triggers=source.triggers,
            order=source.order,
        )
        if history_model is not None:
            values = {
                field.attname: getattr(page, field.attname)
                for field in page_model._meta.concrete_fields
            }
            history_model.objects.create(
                **values,
                history_date=now,
                history_type="+",
                history_change_reason=f"Loaded from education/content/{source.slug}.md",
            )
        created.append(source.slug)
    return created


def propose_content_updates(page_model, revision_model, directory: Path = CONTENT_DIR) -> list[str]:
    """For each existing page whose content file now says something else, a pending revision
    with the file's text; the slugs. Published pages change only when an editor publishes."""
    proposed = []
    for source in read_pages(directory):
        page = page_model.objects.filter(slug=source.slug).first()
        if page is None or (page.title, page.summary, page.body) == (
            source.title,
            source.summary,
            source.body,
        ):
            continue
        revision_model.objects.create(
            page=page,
            title=source.title,
            summary=source.summary,
            body=source.body,
            audience=page.audience,
            triggers=page.triggers,
            order=page.order,
            note="The clinic's guide text, updated with the site (links between pages, parts "
            "for women or men). Compare it with the page before publishing",
        )
        proposed.append(source.slug)
    return proposed
