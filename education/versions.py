"""Comparing two versions of an education page, field by field, as a unified diff."""

import difflib
from dataclasses import dataclass

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
class FieldDiff:
    name: str
    label: str
    lines: tuple[DiffLine, ...]


def field_text(version, name: str) -> str:
    """A field of a page or a historical version as lines of text."""
    if version is None:
        return ""
    value = getattr(version, name)
    if name == "triggers":
        return "\n".join(f"{code} — {TRIGGER_LABELS.get(code, code)}" for code in value or [])
    if name in ("status", "audience"):
        return getattr(version, f"get_{name}_display")()
    if value is None:
        return ""
    return str(value)


def diff_versions(older, newer, context: int = 2) -> list[FieldDiff]:
    """What changed from `older` (None: nothing yet) to `newer`, one entry per changed field."""
    changes = []
    for name, label in COMPARED_FIELDS:
        before, after = field_text(older, name), field_text(newer, name)
        if before == after:
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
