"""Timings, their summary (median, 95th percentile, ratio to the floor) and results.md.

results.md holds one section per run kind and clinic size ("Pages on SQLite, 10,000 patients",
"Load test", …) and, once a database has been measured at two sizes, the growth between them;
a new run replaces its own sections and leaves the others as they were. Each size's medians are
kept beside it (sizes-<database>.json, not in git) for the growth table.
"""

import datetime
import json
import math
import os
import platform
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import django

RESULTS = Path(__file__).with_name("results.md")
PREAMBLE = """# OsteoClinic benchmark results

Written by `make bench` (tests/bench/): the page benchmark on SQLite and on PostgreSQL, each on
its own database holding a generated clinic of each size measured, then a load test of gunicorn
on PostgreSQL. Each section is replaced by the next run of its kind and size. Targets are marks,
not assertions.
"""


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with `share` of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass
class Row:
    name: str
    runs: list[float]  # seconds
    queries: int | str = ""
    target: str = ""  # "ratio:3", "ratio:1.5", "ms:80", "s:10" or ""
    note: str = ""
    passed: bool | None = field(default=None)
    page: bool = True  # a request, compared with the trivial view; False for other work
    # Which floor a target ratio is judged against: "" the anonymous sign-in page; a role's
    # name, the same page requested by a user of that role signed in (session and user loaded,
    # as every signed-in page must).
    floor: str = ""
    # The same measurement at another clinic size: a name that holds no count of this clinic,
    # and what the growth is judged as ("patient": ≤ 1.2×; "list": ≤ 1.5×; "" none).
    key: str = ""
    growth: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    @property
    def p95(self) -> float:
        return percentile(self.runs, 0.95)


ANONYMOUS = ""


def judge(row: Row, floors: dict[str, float]) -> bool | None:
    """Whether a row meets its target; None when it has none."""
    if not row.target:
        return row.passed
    kind, limit = row.target.split(":")
    ratio = row.median / floors[row.floor]
    value = {"ratio": ratio, "ms": row.median * 1000, "s": row.median}[kind]
    met = value <= float(limit)
    return met if row.passed is None else (met and row.passed)


def target_text(target: str) -> str:
    if not target:
        return ""
    kind, limit = target.split(":")
    return {"ratio": f"≤ {limit}×", "ms": f"≤ {limit} ms", "s": f"≤ {limit} s"}[kind]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def table(rows: list[Row], floors: dict[str, float]) -> str:
    lines = [
        "| what | runs | median ms | p95 ms | queries | × trivial | × signed-in trivial "
        "| target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        verdict = judge(row, floors)
        mark = {True: "pass", False: "**FAIL**", None: ""}[verdict]
        name = row.name + (f" ({row.note})" if row.note else "")
        ratio = f"{row.median / floors[ANONYMOUS]:.2f}" if row.page else "—"
        signed_in = f"{row.median / floors[row.floor]:.2f}" if row.page and row.floor else "—"
        lines.append(
            f"| {name} | {len(row.runs)} | {_ms(row.median)} | {_ms(row.p95)} | {row.queries} "
            f"| {ratio} | {signed_in} | {target_text(row.target)} | {mark} |"
        )
    return "\n".join(lines)


GROWTH_LIMITS = {"patient": 1.2, "list": 1.5}


def paired(rows: list[Row]) -> str:
    """Each page on the plain path (nothing cached) beside its view with the cache."""
    lines = [
        "| page | plain median ms | plain p95 ms | plain queries | cached median ms "
        "| cached p95 ms | cached queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_key = {row.key: row for row in rows if row.key}
    for key, plain in by_key.items():
        if not key.endswith(PLAIN):
            continue
        cached = by_key.get(key.removesuffix(PLAIN))
        values = [_ms(cached.median), _ms(cached.p95), str(cached.queries)] if cached else ["—"] * 3
        lines.append(
            f"| {key.removesuffix(PLAIN)} | {_ms(plain.median)} | {_ms(plain.p95)} "
            f"| {plain.queries} | " + " | ".join(values) + " |"
        )
    return "\n".join(lines)


PLAIN = ", plain path"


def sizes_file(vendor: str) -> Path:
    return RESULTS.with_name(f"sizes-{vendor}.json")


def save_size(vendor: str, patients: int, rows: list[Row], floors: dict[str, float]) -> dict:
    """Keep this run's medians under its clinic size; every size kept so far, by size."""
    path = sizes_file(vendor)
    kept = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    kept[str(patients)] = {
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "floors": floors,
        "rows": {
            row.key: {"median": row.median, "p95": row.p95, "growth": row.growth}
            for row in rows
            if row.key
        },
    }
    path.write_text(json.dumps(kept, indent=1), encoding="utf-8")
    return {int(size): run for size, run in kept.items()}


def growth(small: dict, large: dict) -> str:
    """Each measurement's median at the smaller and the larger clinic, and their ratio."""
    lines = [
        "| what | median ms, smaller | median ms, larger | growth | p95 / median, larger "
        "| target | result |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for key, before in small["rows"].items():
        after = large["rows"].get(key)
        if after is None:
            continue
        ratio = after["median"] / before["median"]
        limit = GROWTH_LIMITS.get(after["growth"])
        target = f"≤ {limit}×" if limit else ""
        mark = "" if limit is None else ("pass" if ratio <= limit else "**FAIL**")
        lines.append(
            f"| {key} | {_ms(before['median'])} | {_ms(after['median'])} | {ratio:.2f}× "
            f"| {after['p95'] / after['median']:.2f} | {target} | {mark} |"
        )
    return "\n".join(lines)


def machine(database: str) -> str:
    """Where and when: platform, CPUs, Python, Django, database, date, and how busy it was."""
    # Other work on the machine slows every number alike; the run itself counts about 1.
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"- Machine: `{platform.platform()}`, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, Django {django.get_version()}; load average at the end "
        f"{load} (1 / 5 / 15 min, this run included)\n"
        f"- Database: {database}\n"
        f"- Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}"
    )


SECTION_ORDER = (
    "Pages on SQLite",
    "Pages on PostgreSQL",
    "Growth",
    "Load test on PostgreSQL (gunicorn + locust)",
)


def _order(name: str) -> tuple[int, str]:
    """Sections by kind (SECTION_ORDER's prefixes), then by name."""
    for index, prefix in enumerate(SECTION_ORDER):
        if name.startswith(prefix):
            return index, name
    return len(SECTION_ORDER), name


def replace_section(title: str, body: str, path: Path = RESULTS) -> None:
    """Put `## title` with `body` into results.md, replacing a section of the same title."""
    text = path.read_text(encoding="utf-8") if path.exists() else PREAMBLE
    preamble, sections = _split(text)
    sections[title] = body.strip() + "\n"
    order = sorted(sections, key=_order)
    parts = [preamble.rstrip() + "\n"]
    parts += [f"\n## {name}\n\n{sections[name]}" for name in order]
    path.write_text("".join(parts), encoding="utf-8")


def _split(text: str) -> tuple[str, dict[str, str]]:
    preamble, sections, current = [], {}, None
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = ""
        elif current is None:
            preamble.append(line)
        else:
            sections[current] += line
    return "".join(preamble), {name: body.strip() + "\n" for name, body in sections.items()}
