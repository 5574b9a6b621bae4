"""Markdown to safe HTML for education pages.

Editors write Markdown, which may contain raw HTML. Whatever they write, patients get only the
structure of a page: headings, paragraphs, lists, emphasis, tables and links to the web, e-mail
or this site. Scripts, styles, frames, event handlers and `javascript:` links never get through.
"""

from functools import lru_cache

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


@lru_cache(maxsize=256)
def render_markdown(text: str) -> SafeString:
    """An education page's Markdown as sanitized HTML, safe to put in a template."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    # Safe because it has just been sanitized.
    return mark_safe(sanitize(html))
