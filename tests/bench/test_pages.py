"""Page timings on a generated clinic of 10,000 patients, against the sign-in page as the floor.

The sign-in page is measured anonymous and signed in as each role: a signed-in page is judged
against the same role's floor, which includes what any signed-in request costs.

Run by `make bench` (never by `make test`). Every page is requested in-process through the
Django test client, signed in with force_login; the times, query counts and pass/fail marks
go to tests/bench/results.md. Nothing here asserts a duration: a benchmark reports.
"""

import csv
import datetime
import importlib
import importlib.util
import io
import json
import os
import random
import time

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from patients.access import CLINICIANS
from patients.models import Patient
from scans import trends
from scans.models import Device, PatientStatus
from scans.rules.basics import Site
from scans.rules.references import reference_t_score
from scans.views import chart_inputs_for

from .report import PLAIN, Row

REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
COLD_REPEAT = max(5, REPEAT // 2)
IMPORT_ROWS = 10_000
IMPORT_SERIAL = "GEN-H-0001"


# --------------------------------------------------------------------------------------------
# Who and what is measured
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def subjects(django_db_setup, django_db_blocker):
    """A clinician, the patient with the most scans and one with two, each with a portal login."""
    with django_db_blocker.unblock():
        alice = User.objects.create_user("bench-alice")
        alice.groups.add(Group.objects.get_or_create(name=CLINICIANS)[0])
        by_scans = (
            Patient.objects.filter(mrn__startswith="GEN-")
            .annotate(n=Count("scans", filter=Q(scans__entered_in_error=False)))
            .order_by("-n", "pk")
        )
        heavy = by_scans.first()
        light = by_scans.filter(n=2).order_by("pk").first()
        for patient in (heavy, light):
            user = User.objects.create_user(f"bench-{patient.mrn.lower()}")
            Patient.objects.filter(pk=patient.pk).update(user=user)
            patient.user = user
            _attach_education(patient)
    return {"alice": alice, "heavy": heavy, "light": light, "heavy_scans": heavy.n}


def _attach_education(patient) -> None:
    # Generated records carry no education pages; the measured patients get theirs, as a
    # record changed through the services would.
    if importlib.util.find_spec("education.services") is None:
        return
    importlib.import_module("education.services").education_sync(patient=patient)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _check(response, path: str) -> None:
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    _body(response)


def timings(client, path: str, *, repeat: int = REPEAT, before=None) -> list[float]:
    for _ in range(2):
        if before:
            before()
        _check(client.get(path), path)
    runs = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        response = client.get(path)
        _body(response)
        runs.append(time.perf_counter() - started)
        _check(response, path)
    return runs


def query_count(client, path: str, *, before=None) -> int:
    # After a first view, as the timings are taken: a cached part is counted as served.
    _check(client.get(path), path)
    if before:
        before()
    with CaptureQueriesContext(connection) as context:
        _check(client.get(path), path)
    return len(context.captured_queries)


def plain_path(
    results, client, name: str, path: str, *, key: str, floor: str, growth: str, light: str = ""
) -> None:
    """The page with the page parts' cache off, built from the records on every request. Its
    targets: a median ≤ 10× the signed-in floor, and the same cost in a clinic ten times larger
    (`growth`); `light`, the same page about a patient with two scans, for the query count."""
    row = Row(f"{name}, plain path (nothing cached)", [], target="ratio:10", floor=floor)
    row.key, row.growth = key + PLAIN, growth
    with override_settings(PAGE_PARTS_CACHE=False):
        row.runs = timings(client, path)
        row.queries = query_count(client, path)
        if light:
            row.queries, row.passed = same_queries(row.queries, query_count(client, light))
    results.rows.append(row)


def same_queries(heavy: int, light: int) -> tuple[str, bool]:
    """The query count, and whether it is the same for 2 scans as for the most scans."""
    return f"{heavy} ({light} with 2 scans)", heavy == light


# --------------------------------------------------------------------------------------------
# The floor and the pages
# --------------------------------------------------------------------------------------------


SIGN_IN = "/accounts/login/"
CLINICIAN, PATIENT = "clinician", "patient"


@pytest.mark.django_db
def test_trivial_view_is_the_floor(results, subjects):
    anonymous = client_for(None)
    row = Row(
        f"Sign-in page `{SIGN_IN}` (trivial view)", timings(anonymous, SIGN_IN, repeat=REPEAT * 2)
    )
    row.queries, row.key = query_count(anonymous, SIGN_IN), "Sign-in page (the floor)"
    results.floors[row.floor] = row.median
    results.rows.append(row)
    for role, user in ((CLINICIAN, subjects["alice"]), (PATIENT, subjects["heavy"].user)):
        client = client_for(user)
        row = Row(f"Sign-in page signed in as a {role} (signed-in trivial view)", [], floor=role)
        row.runs = timings(client, SIGN_IN, repeat=REPEAT * 2)
        row.queries = query_count(client, SIGN_IN)
        row.key = f"Sign-in page signed in as a {role} (the floor)"
        results.floors[role] = row.median
        results.rows.append(row)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("Worklist `/`", "/"),
        ("Patient list page 1 `/patients/`", "/patients/"),
        (
            "Filtered list `/patients/?category=osteoporosis&significant_loss=on`",
            "/patients/?category=osteoporosis&significant_loss=on",
        ),
    ],
)
def test_clinician_lists(results, subjects, name, path):
    alice = client_for(subjects["alice"])
    plain_path(results, alice, name, path, key=name, floor=CLINICIAN, growth="list")
    row = Row(name, timings(alice, path), target="ratio:3", floor=CLINICIAN, key=name)
    row.queries = query_count(alice, path)
    results.rows.append(row)
    after_change(results, alice, name, path, subjects["light"])


def touch(patient) -> None:
    """A change to the patient's stored reading, as a saved record brings: versions move on."""
    PatientStatus.objects.filter(patient=patient).update(updated_at=timezone.now())


def after_change(
    results, client, name: str, path: str, patient, floor: str = CLINICIAN, key: str = ""
) -> None:
    """The same page right after a change, when its cached parts are rendered again."""
    row = Row(f"{name}, after a change (parts rendered again)", [], floor=floor)
    row.key = f"{key or name}, after a change"
    row.runs = timings(client, path, repeat=COLD_REPEAT, before=lambda: touch(patient))
    row.queries = query_count(client, path, before=lambda: touch(patient))
    results.rows.append(row)


@pytest.mark.django_db
def test_patient_record(results, subjects):
    alice = client_for(subjects["alice"])
    heavy, light = subjects["heavy"], subjects["light"]
    path, light_path = f"/patients/{heavy.pk}/", f"/patients/{light.pk}/"
    key = "Patient record `/patients/<pk>/`"
    name = f"{key}, {subjects['heavy_scans']} scans"
    plain_path(
        results, alice, name, path, key=key, floor=CLINICIAN, growth="patient", light=light_path
    )
    row = Row(name, [], key=key)
    row.runs = timings(alice, path)
    row.target, row.floor = "ratio:3", CLINICIAN
    counts = query_count(alice, path), query_count(alice, light_path)
    row.queries, row.passed = same_queries(*counts)
    results.rows.append(row)
    after_change(results, alice, row.name, path, heavy, key=key)


@pytest.mark.django_db
def test_portal_home(results, subjects):
    heavy, light = subjects["heavy"], subjects["light"]
    portal = client_for(heavy.user)
    key = "Portal home `/portal/`"
    name = f"{key}, {subjects['heavy_scans']} scans"
    plain_path(results, portal, name, "/portal/", key=key, floor=PATIENT, growth="patient")
    row = Row(name, timings(portal, "/portal/"), key=key)
    row.target, row.floor = "ratio:3", PATIENT
    counts = query_count(portal, "/portal/"), query_count(client_for(light.user), "/portal/")
    row.queries, row.passed = same_queries(*counts)
    results.rows.append(row)
    after_change(results, portal, row.name, "/portal/", heavy, floor=PATIENT, key=key)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["tscore", "bmd"])
def test_charts_cold_and_warm(results, subjects, kind):
    alice = client_for(subjects["alice"])
    heavy, light = subjects["heavy"], subjects["light"]
    path = f"/scans/patient/{heavy.pk}/chart/{kind}.svg"
    # Only this chart's entry leaves the cache: a shared Redis is never flushed.
    keys = {p.pk: trends.chart_key(kind, chart_inputs_for(p, kind)) for p in (heavy, light)}

    def forget():
        cache.delete_many(list(keys.values()))

    cold = Row(f"Chart `{kind}.svg` cold (not cached)", [], target="ms:80", growth="patient")
    cold.key = cold.name
    cold.runs = timings(alice, path, repeat=COLD_REPEAT, before=forget)
    counts = (
        query_count(alice, path, before=forget),
        query_count(alice, f"/scans/patient/{light.pk}/chart/{kind}.svg", before=forget),
    )
    cold.queries, cold.passed = same_queries(*counts)
    warm = Row(f"Chart `{kind}.svg` warm (cached)", timings(alice, path), target="ratio:1.5")
    warm.floor, warm.key = CLINICIAN, warm.name
    counts = (
        query_count(alice, path),
        query_count(alice, f"/scans/patient/{light.pk}/chart/{kind}.svg"),
    )
    warm.queries, warm.passed = same_queries(*counts)
    assert cache.get(keys[heavy.pk]) is not None
    results.rows += [cold, warm]


# --------------------------------------------------------------------------------------------
# Fracture liaison: the KPI page and a run chart over the generated clinic's episodes
# --------------------------------------------------------------------------------------------


def _fls_period() -> str:
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=700)).replace(day=1)
    return f"?first={first:%Y-%m}&last={today:%Y-%m}"


@pytest.mark.django_db
def test_fls_kpi_page(results, subjects):
    from liaison.models import Episode

    alice = client_for(subjects["alice"])
    path = "/liaison/kpis/" + _fls_period()
    episodes = Episode.objects.counted().count()
    key = "FLS KPI page `/liaison/kpis/`, 24 months"
    name = f"{key}, {episodes:,} episodes"
    plain_path(results, alice, name, path, key=key, floor=CLINICIAN, growth="")
    row = Row(name, [], key=key)
    row.runs = timings(alice, path)
    row.target, row.floor = "ratio:3", CLINICIAN
    row.queries = query_count(alice, path)
    # The report part is rendered again after any committed change to the clinic.
    changed = Row(f"{row.name}, after a change (report rendered again)", [], floor=CLINICIAN)
    changed.runs = timings(alice, path, repeat=COLD_REPEAT, before=_clinic_changed)
    changed.queries = query_count(alice, path, before=_clinic_changed)
    results.rows += [row, changed]


def _clinic_changed() -> None:
    from patients import epochs

    epochs.bump(epochs.CLINIC)


@pytest.mark.django_db
def test_fls_run_chart_cold_and_warm(results, subjects):
    from liaison import kpis, report

    alice = client_for(subjects["alice"])
    path = "/liaison/kpis/chart/3.svg" + _fls_period()
    today = timezone.localdate()
    first = (today.replace(day=1) - datetime.timedelta(days=700)).replace(day=1)
    built = report.report_build(first=first, last=today, today=today)
    # The key the view caches the SVG under (liaison.views.kpi_chart).
    key = trends.charts.chart_key("fls-kpi-3", (f"KPI 3: {kpis.TITLES[3]}", True, built.run(3)))

    def forget():
        cache.delete(key)

    cold = Row("FLS run chart `kpis/chart/3.svg`, 24 months, cold (not cached)", [])
    cold.runs = timings(alice, path, repeat=COLD_REPEAT, before=forget)
    cold.target, cold.queries = "ms:80", query_count(alice, path, before=forget)
    warm = Row("FLS run chart `kpis/chart/3.svg`, warm (cached)", timings(alice, path))
    warm.target, warm.floor, warm.queries = "ratio:3", CLINICIAN, query_count(alice, path)
    assert cache.get(key) is not None
    results.rows += [cold, warm]


# --------------------------------------------------------------------------------------------
# FHIR export and CSV import, when those modules are there
# --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fhir_export(results, subjects):
    if importlib.util.find_spec("exchange.fhir") is None:
        results.notes.append("FHIR export: skipped, `exchange/fhir.py` is not there yet.")
        return
    heavy, light = subjects["heavy"], subjects["light"]
    alice = client_for(subjects["alice"])
    try:
        path = reverse("exchange:export_fhir", args=[heavy.pk])
        light_path = reverse("exchange:export_fhir", args=[light.pk])
    except NoReverseMatch:
        path = None
    if path is not None:
        name = f"FHIR export `{path.replace(str(heavy.pk), '<pk>')}`"
        plain_path(
            results,
            alice,
            name,
            path,
            key=name,
            floor=CLINICIAN,
            growth="patient",
            light=light_path,
        )
        row = Row(name, timings(alice, path), key=name)
        row.target, row.floor = "ratio:3", CLINICIAN
        counts = query_count(alice, path), query_count(alice, light_path)
    else:
        fhir = importlib.import_module("exchange.fhir")

        def export(patient):
            return json.dumps(fhir.patient_bundle(patient))

        runs = []
        for _ in range(REPEAT):
            started = time.perf_counter()
            export(heavy)
            runs.append(time.perf_counter() - started)
        row = Row("FHIR export, `exchange.fhir.patient_bundle` (no URL yet)", runs, page=False)
        counts = []
        for patient in (heavy, light):
            with CaptureQueriesContext(connection) as context:
                export(patient)
            counts.append(len(context.captured_queries))
    row.note = f"{subjects['heavy_scans']} scans"
    row.queries, row.passed = same_queries(*counts)
    results.rows.append(row)


def import_csv(rows: int = IMPORT_ROWS) -> str:
    """A scanner's export: a new scan of spine, both left hip sites and radius per patient."""
    rng = random.Random(7)
    day = datetime.date.today() - datetime.timedelta(days=7)
    month_ago = datetime.date.today() - datetime.timedelta(days=30)
    patients = list(
        PatientStatus.objects.filter(
            patient__mrn__startswith="GEN-", latest_scan_date__lt=month_ago
        )
        .order_by("patient_id")
        .values_list("patient__mrn", flat=True)[: rows // 4]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["mrn", "scan_date", "manufacturer", "device_serial", "site", "side", "bmd", "t_score"]
    )
    for mrn in patients:
        spine_t = round(rng.gauss(-1.5, 1.0), 1)
        neck = round(rng.uniform(0.55, 0.95), 3)
        hip = round(neck + rng.uniform(0.05, 0.15), 3)
        radius_t = round(rng.gauss(-1.0, 0.8), 1)
        for site, side, bmd, t in (
            ("lumbar_spine", "", round(1.047 + 0.11 * spine_t, 3), spine_t),
            ("femoral_neck", "left", neck, reference_t_score(Site.FEMORAL_NECK, neck)),
            ("total_hip", "left", hip, reference_t_score(Site.TOTAL_HIP, hip)),
            ("radius_33", "left", round(0.69 + 0.055 * radius_t, 3), radius_t),
        ):
            writer.writerow([mrn, day.isoformat(), "hologic", IMPORT_SERIAL, site, side, bmd, t])
    return out.getvalue()


@pytest.mark.django_db
def test_csv_import(results, subjects, django_capture_on_commit_callbacks):
    if importlib.util.find_spec("exchange.csv_import.writing") is None:
        results.notes.append(
            "CSV import: skipped, `exchange/csv_import/writing.py` is not there yet."
        )
        return
    importers = importlib.import_module("exchange.csv_import.writing")
    assert Device.objects.filter(serial=IMPORT_SERIAL).exists()
    text = import_csv()
    try:
        started = time.perf_counter()
        plan = importers.import_preview(text=text, date_format="iso")
        preview = time.perf_counter() - started
        with transaction.atomic():
            # The import runs as the confirm page runs it, then the work it leaves for after
            # the commit (stored readings); then everything is rolled back.
            with django_capture_on_commit_callbacks(execute=False) as callbacks:
                started = time.perf_counter()
                importers.import_commit(
                    text=text, date_format="iso", user=subjects["alice"], source="bench.csv"
                )
                commit = time.perf_counter() - started
            started = time.perf_counter()
            for callback in callbacks:
                callback()
            refresh = time.perf_counter() - started
            transaction.set_rollback(True)
    except (AttributeError, TypeError) as error:
        results.notes.append(f"CSV import: skipped, the importer's API differs ({error}).")
        return
    counts = plan.counts
    detail = (
        f"{counts.rows:,} rows: {counts.new_scans:,} new scans, "
        f"{counts.new_measurements:,} measurements, {counts.errors} errors"
    )
    results.rows += [
        Row(f"CSV import, dry-run preview ({detail})", [preview], page=False),
        Row("CSV import, commit (bulk writes with history)", [commit], page=False),
        Row(
            "CSV import, on-commit work (the affected patients' stored readings)",
            [refresh],
            page=False,
        ),
        Row(
            f"CSV import of {IMPORT_ROWS:,} rows, commit + on-commit work",
            [commit + refresh],
            target="s:10",
            page=False,
            key=f"CSV import of {IMPORT_ROWS:,} rows, commit + on-commit work",
            growth="patient",
        ),
    ]
    results.notes.append(
        "CSV import: measured once through `exchange.csv_import` (the functions the upload and "
        "confirm pages call), in a transaction rolled back afterwards."
    )


UPLOAD_ROWS = 100_000


@pytest.mark.django_db
def test_csv_import_upload_returns_at_once(results, subjects):
    """A 100,000-row file through the pages: the upload's request only stores it; a worker
    (here django-tasks-db's worker loop, in this process) checks it while the page follows."""
    if importlib.util.find_spec("exchange.import_jobs") is None:
        results.notes.append(
            "CSV import as tasks: skipped, `exchange/import_jobs.py` is not there."
        )
        return
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.tasks import run_tasks

    lines = [
        "mrn,family_name,given_name,date_of_birth,sex,scan_date,manufacturer,device_serial,"
        "site,side,bmd,t_score"
    ]
    for number in range(UPLOAD_ROWS):
        lines.append(
            f"UPL-{number:06d},Okoro,Ada,1950-02-03,female,2024-05-06,hologic,{IMPORT_SERIAL},"
            "lumbar_spine,,0.850,-1.9"
        )
    data = "\r\n".join(lines).encode()
    alice = client_for(subjects["alice"])
    started = time.perf_counter()
    file = SimpleUploadedFile("bench.csv", data, content_type="text/csv")
    response = alice.post(reverse("exchange:import"), {"file": file, "date_format": "iso"})
    upload = time.perf_counter() - started
    assert response.status_code == 302, response.content[:500]
    page = response["Location"]
    waiting = timings(alice, page, repeat=5)
    assert "Waiting for a background worker" in alice.get(page).content.decode()
    started = time.perf_counter()
    run_tasks()
    check = time.perf_counter() - started
    preview = alice.get(page).content.decode()
    assert f"Import {UPLOAD_ROWS:,} measurements" in preview
    size = f"{len(data) / 1e6:.1f} MB"
    results.rows += [
        Row(
            f"CSV import of {UPLOAD_ROWS:,} rows ({size}): the upload's request",
            [upload],
            target="s:2",
            page=False,
        ),
        Row("CSV import: its progress page while it waits", waiting, page=False),
        Row(f"CSV import of {UPLOAD_ROWS:,} rows: the check, in a worker", [check], page=False),
    ]
