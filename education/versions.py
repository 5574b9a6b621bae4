"""Comparing two versions of an education page: short fields line by line, the body as the
patient reads it, side by side, with the changed words marked."""

import difflib
from dataclasses import dataclass, field

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .rendering import render_page, text_blocks
from .triggers import TRIGGER_LABELS

# The fields an editor changes, in the order the comparison shows them.
COMPARED_FIELDS = (
    ("title", "Title"),
    ("summary", "Summary"),
    ("status", "Status"),
    ("audience", "Audience"),
    ("triggers", "Findings it answers"),
    ("order", "Display order"),
    ("review_due", "Review due"),
    ("body", "Body"),
)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "context" or "hunk"
    text: str

    @property
    def sign(self) -> str:
        """The diff's own marker, so that colour is never the only signal."""
        return {"added": "+", "removed": "−", "context": " ", "hunk": ""}[self.kind]


@dataclass(frozen=True)
class SideBySideRow:
    kind: str  # "same", "changed", "added" or "removed"
    before: SafeString
    after: SafeString


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    lines: tuple[DiffLine, ...] = ()
    rows: tuple[SideBySideRow, ...] = field(default=())


def field_text(version, name: str) -> str:
    """A field of a page or a historical version as lines of text."""
    if version is None:
        return ""
    value = getattr(version, name)
    if name == "triggers":
        return "\n".join(TRIGGER_LABELS.get(code, code) for code in value or [])
    if name in ("status", "audience"):
        return getattr(version, f"get_{name}_display")()
    if value is None:
        return ""
    return str(value)


def diff_versions(older, newer, context: int = 2, reader: str | None = None) -> list[FieldDiff]:
    """What changed from `older` (None: nothing yet) to `newer`, one entry per changed field."""
    changes = []
    for name, label in COMPARED_FIELDS:
        if not all(hasattr(version, name) for version in (older, newer) if version is not None):
            continue  # a revision has no status or review date of its own
        before, after = field_text(older, name), field_text(newer, name)
        if before == after:
            continue
        if name == "body":
            changes.append(FieldDiff(name, label, rows=tuple(rendered_diff(before, after, reader))))
            continue
        lines = []
        diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=context)
        for line in diff:
            if line.startswith(("---", "+++")):
                continue
            if line.startswith("@@"):
                lines.append(DiffLine("hunk", line))
            elif line.startswith("+"):
                lines.append(DiffLine("added", line[1:]))
            elif line.startswith("-"):
                lines.append(DiffLine("removed", line[1:]))
            else:
                lines.append(DiffLine("context", line[1:]))
        changes.append(FieldDiff(name, label, tuple(lines)))
    return changes


def _marked(words: list[str], tag: str, spans) -> str:
    out = []
    for start, end, changed in spans:
        text = escape(" ".join(words[start:end]))
        if changed and text:
            label = "added" if tag == "ins" else "removed"
            hidden = '<span class="oc-sr-only">{}</span>'
            text = f"<{tag}>{hidden.format(f'[{label}: ')}{text}{hidden.format(']')}</{tag}>"
        out.append(text)
    return " ".join(part for part in out if part)


def _word_diff(before: str, after: str) -> tuple[SafeString, SafeString]:
    old, new = before.split(), after.split()
    old_spans, new_spans = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        old_spans.append((i1, i2, op != "equal"))
        new_spans.append((j1, j2, op != "equal"))
    # Safe: every word was escaped by _marked.
    return mark_safe(_marked(old, "del", old_spans)), mark_safe(_marked(new, "ins", new_spans))


def _whole(text: str, tag: str) -> SafeString:
    words = text.split()
    return mark_safe(_marked(words, tag, [(0, len(words), True)]))


def rendered_diff(before: str, after: str, reader: str | None = None) -> list[SideBySideRow]:
    """Two Markdown bodies as the patient reads them, block by block, side by side; changed
    words are marked with <del> and <ins>, and named for screen readers."""
    old = text_blocks(render_page(before, reader=reader))
    new = text_blocks(render_page(after, reader=reader))
    rows = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [SideBySideRow("same", escape(text), escape(text)) for text in old[i1:i2]]
            continue
        pairs = list(zip(old[i1:i2], new[j1:j2], strict=False)) if op == "replace" else []
        for before_text, after_text in pairs:
            rows.append(SideBySideRow("changed", *_word_diff(before_text, after_text)))
        for text in old[i1 + len(pairs) : i2]:
            rows.append(SideBySideRow("removed", _whole(text, "del"), mark_safe("")))
        for text in new[j1 + len(pairs) : j2]:
            rows.append(SideBySideRow("added", mark_safe(""), _whole(text, "ins")))
    return rows
