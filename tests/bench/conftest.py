"""The page benchmark's own database, filled once with a generated clinic, and its results.

pytest-django creates the database under a name of our own (a temporary SQLite file, or
`osteoclinic_bench_<pid>` on PostgreSQL, so a `make test` running beside it is not disturbed),
and drops it at the end. The development database is never opened.
"""

import os
import shutil
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from . import report

PATIENTS = int(os.environ.get("BENCH_PATIENTS", "10000"))
SEED = 2026
_SQLITE_DIR = Path(tempfile.mkdtemp(prefix="osteoclinic-bench-"))


@pytest.fixture(scope="session")
def django_db_modify_db_settings():
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # A file, as in production use, rather than Django's default in-memory test database.
        test["NAME"] = str(_SQLITE_DIR / "bench.sqlite3")
    else:
        test["NAME"] = f"osteoclinic_bench_{os.getpid()}"
    yield
    shutil.rmtree(_SQLITE_DIR, ignore_errors=True)


@dataclass
class Clinic:
    patients: int
    scans: int
    measurements: int
    write_seconds: float
    status_seconds: float
    database: str
    vendor: str
    notes: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database, with the generated clinic committed in it for the whole session."""
    from django.db import connection

    from osteoclinic.generator import clinic_generate

    with django_db_blocker.unblock():
        print(f"\nGenerating a clinic of {PATIENTS:,} patients on {connection.vendor}…")
        started = time.perf_counter()
        summary = clinic_generate(patients=PATIENTS, seed=SEED, progress=print)
        print(f"Clinic ready in {time.perf_counter() - started:.1f} s.")
        if connection.vendor == "sqlite":
            database = f"SQLite {sqlite3.sqlite_version} (file in a temporary folder)"
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT version()")
                version = cursor.fetchone()[0].split(" on ")[0]
            database = f"{version} (database {connection.settings_dict['NAME']})"
    yield Clinic(
        patients=summary.patients,
        scans=summary.scans,
        measurements=summary.measurements,
        write_seconds=summary.write_seconds,
        status_seconds=summary.status_seconds,
        database=database,
        vendor=connection.vendor,
    )


@dataclass
class Results:
    rows: list = field(default_factory=list)
    floors: dict[str, float] = field(default_factory=dict)  # report.Row.floor: median s
    notes: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def results(django_db_setup):
    """Rows the benchmarks add; written to results.md and printed once they have all run."""
    collected = Results()
    yield collected
    if not collected.rows or report.ANONYMOUS not in collected.floors:
        return
    from django.conf import settings

    clinic = django_db_setup
    database = "SQLite" if clinic.vendor == "sqlite" else "PostgreSQL"
    title = f"Pages on {database}, {clinic.patients:,} patients"
    body = "\n".join(
        [
            report.machine(clinic.database),
            f"- Clinic: {clinic.patients:,} generated patients, {clinic.scans:,} scans, "
            f"{clinic.measurements:,} site measurements; written in "
            f"{clinic.write_seconds:.1f} s, stored readings built in "
            f"{clinic.status_seconds:.1f} s (`generate_clinic`)",
            f"- Cache: `{settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}` "
            "(REDIS_URL decides); DEBUG off, as pytest-django runs",
            "- Trivial view (the floor): sign-in page GET, anonymous, median "
            f"{collected.floors[report.ANONYMOUS] * 1000:.1f} ms; the same page signed in "
            "(the floor of every signed-in page: its session and user are loaded, the idle "
            "clock checked), median "
            + ", ".join(
                f"{seconds * 1000:.1f} ms as a {role}"
                for role, seconds in collected.floors.items()
                if role != report.ANONYMOUS
            )
            + ". A page's target ratio is judged against the floor of the role that opens it; "
            "both ratios are shown.",
            "- Django test client in-process, `time.perf_counter` around each request after "
            "two warm-up requests; queries counted on one more request. p95 is nearest-rank.",
            "- The worklist, the patient list, the record page, the portal home, the FHIR "
            "export and the KPI page keep their parts rendered in the cache under the version "
            "of the records they show (`osteoclinic/fragments.py`). Each is measured on the "
            "plain path (`PAGE_PARTS_CACHE` off: nothing of the page cached, charts apart, "
            "which are separate requests), on a repeat view served from the cache, and right "
            "after a change, when its parts are rendered again.",
            "",
            report.table(collected.rows, collected.floors),
            "",
            "Each page on the plain path beside its repeat view with the cache:",
            "",
            report.paired(collected.rows),
            "",
            *(f"- {note}" for note in collected.notes),
            "- Generated records have no history rows and no education pages (bulk_create); "
            "the two measured patients get their pages through `education_sync` first.",
        ]
    )
    report.replace_section(title, body)
    print(f"\n## {title}\n\n{body}\n\nWritten to {report.RESULTS}")
    sizes = report.save_size(clinic.vendor, clinic.patients, collected.rows, collected.floors)
    if len(sizes) > 1:
        small, large = min(sizes), max(sizes)
        growth = (
            f"Medians on {database} at {large:,} patients ({sizes[large]['date']}) against "
            f"{small:,} ({sizes[small]['date']}), the same machine. Targets: a page about one "
            "patient ≤ 1.2×, a list or the worklist ≤ 1.5× (plain path rows are the ones the "
            "targets are about).\n\n" + report.growth(sizes[small], sizes[large])
        )
        title = f"Growth on {database} from {small:,} to {large:,} patients"
        report.replace_section(title, growth)
        print(f"\n## {title}\n\n{growth}")
