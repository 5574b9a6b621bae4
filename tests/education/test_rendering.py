"""Page bodies are Markdown rendered to HTML that can carry no script, style or frame."""

import pytest

from education.models import EducationPage
from education.rendering import render_markdown

HOSTILE = """\
## Safe heading

<script>alert("script tag")</script>
<style>body { display: none }</style>
<iframe src="https://evil.example/frame">iframe fallback</iframe>
<img src="x.png" onerror="alert('onerror')">
<p onclick="alert('onclick')">Click me</p>
<a href="javascript:alert('js link')">html js link</a>
[markdown js link](javascript:alert('md'))
[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)
<div style="position:fixed">styled</div>
<object data="evil.swf"></object><embed src="evil.swf">
<form action="https://evil.example"><input name="q"></form>
"""


def test_hostile_markup_never_reaches_the_rendered_html():
    html = render_markdown(HOSTILE).lower()

    for forbidden in (
        "<script",
        "alert(",
        "<style",
        "display: none",
        "<iframe",
        "evil.example",
        "onerror",
        "onclick",
        "javascript:",
        "data:text",
        "style=",
        "<img",
        "<object",
        "<embed",
        "<form",
        "<input",
    ):
        assert forbidden not in html, forbidden
    assert "<h2>safe heading</h2>" in html
    assert "click me" in html  # the text of a tag that lost its handler stays


def test_headings_lists_emphasis_tables_and_safe_links_survive():
    html = render_markdown(
        "## Heading\n\n### Smaller\n\n- one\n- **two**\n\n1. first\n2. *second*\n\n"
        "[guide](https://example.org/guide) [mail](mailto:clinic@example.org) "
        "[ours](/portal/) [plain](http://example.org)\n\n"
        "| Age | Calcium |\n|---|---|\n| 51–70 | 1,200 mg |\n"
    )

    assert "<h2>Heading</h2>" in html
    assert "<h3>Smaller</h3>" in html
    assert "<ul>" in html and "<li><strong>two</strong></li>" in html
    assert "<ol>" in html and "<em>second</em>" in html
    assert '<a href="https://example.org/guide" rel="noopener noreferrer">guide</a>' in html
    assert 'href="mailto:clinic@example.org"' in html
    assert 'href="/portal/"' in html
    assert 'href="http://example.org"' in html
    assert "<table>" in html and "<td>1,200 mg</td>" in html


@pytest.mark.django_db
def test_a_page_renders_its_body_through_the_sanitizer():
    page = EducationPage(title="T", summary="S", body="## Hi\n\n<script>x()</script>Text")

    html = str(page.body_html)
    assert "<h2>Hi</h2>" in html
    assert "<p>Text</p>" in html
    assert "script" not in html and "x()" not in html
