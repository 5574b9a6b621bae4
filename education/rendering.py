"""Markdown to safe HTML for education pages.

Editors write Markdown, which may contain raw HTML. Whatever they write, patients get only the
structure of a page: headings, paragraphs, lists, emphasis, tables and links to the web, e-mail
or this site. Scripts, styles, frames, event handlers and `javascript:` links never get through.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        "p",
        "br",
        "hr",
        "blockquote",
        "ul",
        "ol",
        "li",
        "strong",
        "em",
        "b",
        "i",
        "code",
        "pre",
        "a",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
    }
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
# Relative links (to this site) always pass; absolute ones only with these schemes.
URL_SCHEMES = frozenset({"http", "https", "mailto"})
# Removed with everything inside them, not just their tags.
DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "iframe", "object", "embed", "noscript", "template", "textarea", "select"}
)
LINK_REL = "noopener noreferrer"


def sanitize(html: str) -> str:
    """HTML reduced to the tags, attributes and link schemes an education page may use."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def to_html(text: str) -> str:
    """Markdown as HTML, not yet sanitized."""
    return markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")


@lru_cache(maxsize=256)
def render_markdown(text: str) -> SafeString:
    """An education page's Markdown as sanitized HTML, safe to put in a template."""
    # Safe because it has just been sanitized.
    return mark_safe(sanitize(to_html(text)))


# --- Links between pages, and parts for some readers only -----------------------------------

# `[our page on gentle rehabilitation](page:gentle-rehabilitation)`: a link to another page,
# by its address (slug), made into the reader's own address of that page.
PAGE_LINK = re.compile(r"\]\(page:([a-z0-9-]+)\)")
# A part for some readers only: a line `::: for women` (or `men`) up to a line `:::`.
READER_BLOCK = re.compile(r"^:::[ \t]*for[ \t]+(\w+)[ \t]*\n(.*?)^:::[ \t]*$\n?", re.M | re.S)
READERS = {"women": "Women", "men": "Men"}


def linked_slugs(text: str) -> list[str]:
    """The addresses of the pages this Markdown links to, in order."""
    return PAGE_LINK.findall(text)


def unknown_readers(text: str) -> list[str]:
    return [name for name, _ in READER_BLOCK.findall(text) if name not in READERS]


def for_reader(text: str, reader: str | None) -> str:
    """The Markdown a reader gets: the parts for them (all parts when `reader` is None)."""
    # A part stands as paragraphs of its own, whatever surrounds it.
    return READER_BLOCK.sub(
        lambda m: f"\n{m.group(2)}\n" if reader in (None, m.group(1)) else "\n", text
    )


def resolve_page_links(text: str, link_for: Callable[[str], str | None]) -> str:
    """Page links made into addresses; a link the reader cannot open is left as its text."""

    def replace(match):
        url = link_for(match.group(1))
        return f"]({url})" if url else "]"

    # `[text]` with no address after it is plain text to Markdown, brackets and all: drop them.
    resolved = PAGE_LINK.sub(replace, text)
    return re.sub(r"\[([^\]]*)\](?!\()", r"\1", resolved) if resolved != text else resolved


def render_page(
    text: str, *, reader: str | None = None, link_for: Callable[[str], str | None] | None = None
) -> SafeString:
    """A page's body as one reader sees it: their parts, and page links to their addresses."""
    text = for_reader(text, reader)
    return render_markdown(resolve_page_links(text, link_for or (lambda slug: None)))


# --- What the sanitizer removes, said before a page is published ----------------------------


@dataclass(frozen=True)
class Removal:
    what: str
    detail: str = ""


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.comments = 0

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.found.append((tag, attrs))

    def handle_comment(self, data):
        self.comments += 1


def removals(text: str) -> list[Removal]:
    """What sanitizing this Markdown's HTML takes out (the rules of `sanitize`), in order."""
    parser = _Elements()
    parser.feed(to_html(text))
    parser.close()
    found: list[Removal] = []
    for tag, attrs in parser.found:
        if tag in DROPPED_WITH_CONTENT:
            found.append(Removal(f"<{tag}> element", "removed with everything inside it"))
            continue
        if tag not in ALLOWED_TAGS:
            found.append(Removal(f"<{tag}> tag", "removed; its text is kept"))
            continue
        for name, value in attrs:
            if name not in ALLOWED_ATTRIBUTES.get(tag, ()):
                found.append(Removal(f"{name} attribute on <{tag}>", "removed"))
            elif name == "href" and not link_allowed(value or ""):
                found.append(Removal(f"link to {value}", "removed; the link's text is kept"))
    if parser.comments:
        found.append(Removal("HTML comment", f"{parser.comments} removed"))
    return found


def link_allowed(href: str) -> bool:
    scheme = urlsplit(href.strip()).scheme.lower()
    return not scheme or scheme in URL_SCHEMES


def outside_links(text: str) -> list[str]:
    """Addresses on other sites this Markdown links to (kept, but worth a look)."""
    parser = _Elements()
    parser.feed(to_html(text))
    return [
        value
        for tag, attrs in parser.found
        if tag == "a"
        for name, value in attrs
        if name == "href" and value and urlsplit(value).scheme in ("http", "https")
    ]


# --- Rendered text, block by block, for comparing two versions -------------------------------

BLOCK_TAGS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "pre", "blockquote"})


class _Blocks(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []
        self.prefix = ""

    def flush(self):
        text = " ".join("".join(self.current).split())
        if text:
            self.blocks.append(self.prefix + text)
        self.current, self.prefix = [], ""

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS:
            self.flush()
            self.prefix = {"li": "• "}.get(tag, "")
        elif tag in ("td", "th"):
            self.current.append(" | ")

    def handle_endtag(self, tag):
        if tag in BLOCK_TAGS:
            self.flush()

    def handle_data(self, data):
        self.current.append(data)


def text_blocks(html: str) -> list[str]:
    """Rendered HTML as its readable blocks of text: headings, paragraphs, list items, rows."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    parser.flush()
    return parser.blocks
