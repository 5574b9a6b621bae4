"""Every clinical citation in the project names a section of docs/clinical-rules.md, and no
path outside the repository appears anywhere in it."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "docs" / "clinical-rules.md"
# The project's own text: code, templates, tests, documentation, configuration.
SUFFIXES = {".py", ".html", ".md", ".txt", ".toml", ".cfg", ".ini", ".yml", ".yaml", ".example"}
SKIPPED = {".venv", "node_modules", "staticfiles", ".git", "__pycache__", ".pytest_cache"}

HEADING = re.compile(r"^#{2,4} §(\d+(?:\.\d+)*)\b", re.MULTILINE)
# "docs/clinical-rules.md §8", "§1–§2", "§9 and §9.1", "§3, §4": every § of the run counts.
CITATION = re.compile(r"clinical-rules\.md((?:\s*(?:,|–|-|and)?\s*§\d+(?:\.\d+)*)+)")
SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
# Written in pieces, so that this file does not match its own pattern.
OUTSIDE = re.compile("|".join([r"domain\.md", r"\.\./" + "shared", "/" + "work/"]))


def project_files():
    """Every text file of the project but this one, whose examples are wrong on purpose."""
    this_file = Path(__file__).resolve()
    for path in sorted(ROOT.rglob("*")):
        parts = set(path.relative_to(ROOT).parts)
        wanted = path.is_file() and path.suffix in SUFFIXES and not parts & SKIPPED
        if wanted and path != this_file:
            yield path


def sections() -> set[str]:
    """The section numbers the document defines, "1" to "16" and their subsections."""
    return set(HEADING.findall(RULES.read_text(encoding="utf-8")))


def cited(text: str) -> list[str]:
    """The section numbers a text cites as docs/clinical-rules.md §N."""
    return [number for run in CITATION.findall(text) for number in SECTION.findall(run)]


def dangling(text: str, known: set[str]) -> list[str]:
    return [number for number in cited(text) if number not in known]


def test_the_document_keeps_sections_1_to_16():
    assert {str(n) for n in range(1, 17)} <= sections()


def test_every_citation_names_a_section_that_exists():
    known = sections()
    found = {}
    count = 0
    for path in project_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        count += len(cited(text))
        if missing := dangling(text, known):
            found[str(path.relative_to(ROOT))] = missing
    assert found == {}, "these cite sections docs/clinical-rules.md does not have"
    assert count > 100, "the citations were not found: has the pattern broken?"


def test_a_dangling_citation_is_caught():
    known = sections()
    text = "# docs/clinical-rules.md §8.3 and §99, see docs/clinical-rules.md §2–§17.4"
    assert cited(text) == ["8.3", "99", "2", "17.4"]
    assert dangling(text, known) == ["99", "17.4"]


def test_no_path_outside_the_repository_appears_in_the_project():
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in project_files()
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").split("\n"), 1
        )
        if OUTSIDE.search(line)
    ]
    assert found == []
