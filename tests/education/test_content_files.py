"""Checks on the patient education pages in education/content/.

Plain pytest: no Django needed. Each page is a Markdown file that starts with a
front-matter block between two ``---`` lines, one ``key: value`` per line.
"""

from pathlib import Path

import pytest

CONTENT_DIR = Path(__file__).resolve().parents[2] / "education" / "content"

REQUIRED_KEYS = {"slug", "title", "summary", "audience", "order", "triggers"}
AUDIENCES = {"patients", "clinicians"}
TRIGGER_CODES = {
    "low_bone_mass",
    "osteoporosis",
    "severe_osteoporosis",
    "significant_loss",
    "vertebral_fracture_acute",
    "vertebral_fracture_rehab",
    "fragility_fracture",
    "back_pain",
    "postural_change",
    "red_flags",
    "risk_low_calcium_vitamin_d",
    "risk_sedentary",
    "risk_smoking",
    "risk_alcohol",
    "risk_caffeine",
    "risk_glucocorticoids",
    "risk_family_history",
    "risk_falls",
    "postmenopausal",
    "scan_due",
    "on_treatment",
}
MIN_WORDS = 150
MAX_WORDS = 450


def parse_page(path):
    """Split a page into (front-matter dict, body). Raises ValueError if malformed."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "---":
        raise ValueError(f"{path.name}: must start with a '---' line")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == "---")
    except StopIteration:
        raise ValueError(f"{path.name}: front matter has no closing '---' line") from None
    meta = {}
    for line in lines[1:end]:
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"{path.name}: front-matter line without ':': {line!r}")
        key = key.strip()
        if key in meta:
            raise ValueError(f"{path.name}: duplicate key {key!r}")
        meta[key] = value.strip()
    body = "\n".join(lines[end + 1 :])
    return meta, body


def triggers_of(meta):
    return [code.strip() for code in meta.get("triggers", "").split(",") if code.strip()]


def _load_pages():
    return {path.stem: (path, *parse_page(path)) for path in sorted(CONTENT_DIR.glob("*.md"))}


PAGES = _load_pages()
PAGE_IDS = sorted(PAGES)


def test_content_directory_has_pages():
    assert CONTENT_DIR.is_dir()
    assert len(PAGES) >= 15


@pytest.mark.parametrize("name", PAGE_IDS)
def test_required_keys_present_and_not_empty(name):
    _, meta, _ = PAGES[name]
    missing = REQUIRED_KEYS - meta.keys()
    assert not missing, f"{name}: missing keys {sorted(missing)}"
    for key in REQUIRED_KEYS - {"triggers"}:
        assert meta[key], f"{name}: {key} is empty"


@pytest.mark.parametrize("name", PAGE_IDS)
def test_slug_matches_filename_and_is_kebab_case(name):
    path, meta, _ = PAGES[name]
    assert meta["slug"] == path.stem
    assert meta["slug"] == meta["slug"].lower()
    assert all(part.isalnum() for part in meta["slug"].split("-"))


@pytest.mark.parametrize("name", PAGE_IDS)
def test_front_matter_values(name):
    _, meta, _ = PAGES[name]
    assert meta["audience"] in AUDIENCES
    assert meta["order"].isdigit(), f"{name}: order must be a whole number"
    # Keep values safe for a YAML reader as well as for this simple parser.
    for key in ("title", "summary"):
        assert ": " not in meta[key], f"{name}: {key} contains ': '"
        assert not meta[key].startswith(("'", '"', "[", "{", "#", "-")), key


@pytest.mark.parametrize("name", PAGE_IDS)
def test_trigger_codes_in_vocabulary(name):
    _, meta, _ = PAGES[name]
    codes = triggers_of(meta)
    unknown = set(codes) - TRIGGER_CODES
    assert not unknown, f"{name}: unknown trigger codes {sorted(unknown)}"
    assert len(codes) == len(set(codes)), f"{name}: repeated trigger code"


def test_slugs_and_orders_are_unique():
    slugs = [meta["slug"] for _, meta, _ in PAGES.values()]
    orders = [int(meta["order"]) for _, meta, _ in PAGES.values()]
    assert len(slugs) == len(set(slugs))
    assert len(orders) == len(set(orders))


def test_every_trigger_code_reaches_a_patients_page():
    used = set()
    for _, meta, _ in PAGES.values():
        if meta["audience"] == "patients":
            used.update(triggers_of(meta))
    assert TRIGGER_CODES - used == set()


@pytest.mark.parametrize("name", PAGE_IDS)
def test_body_is_plain_markdown(name):
    _, _, body = PAGES[name]
    lowered = body.lower()
    assert "<script" not in lowered
    assert "http" not in lowered
    assert "<" not in body, f"{name}: body looks like it contains HTML"
    assert "![" not in body, f"{name}: body contains an image"
    assert "\n## " in "\n" + body, f"{name}: body has no ## heading"


@pytest.mark.parametrize("name", PAGE_IDS)
def test_body_length(name):
    _, _, body = PAGES[name]
    words = len(body.split())
    assert MIN_WORDS <= words <= MAX_WORDS, f"{name}: {words} words"


def test_compression_fracture_page_covers_acute_phase_and_brace():
    page = next(
        (body for _, meta, body in PAGES.values() if "compression" in meta["slug"]),
        None,
    )
    assert page is not None, "no compression fracture page"
    assert "6–8 weeks" in page  # en dash, as in the guide
    assert "brace" in page.lower()


def test_calcium_page_defers_to_prescription():
    page = next(
        (body for _, meta, body in PAGES.values() if "calcium" in meta["slug"]),
        None,
    )
    assert page is not None, "no calcium and vitamin D page"
    assert "prescribed" in page.lower()
    assert "clinician's advice" in page


def test_parser_rejects_missing_front_matter(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("no front matter here\n", encoding="utf-8")
    with pytest.raises(ValueError):
        parse_page(bad)


def test_parser_reads_empty_triggers(tmp_path):
    page = tmp_path / "x.md"
    page.write_text(
        "---\nslug: x\ntitle: X\nsummary: S.\naudience: clinicians\norder: 1\n"
        "triggers:\n---\nBody\n",
        encoding="utf-8",
    )
    meta, body = parse_page(page)
    assert triggers_of(meta) == []
    assert body == "Body"
