"""Load test: gunicorn on 127.0.0.1 against PostgreSQL, driven by locust; results in results.md.

    DATABASE_URL=postgres://USER@127.0.0.1:5432/postgres .venv/bin/python -m tests.bench.loadtest

DATABASE_URL names a PostgreSQL server and a database to connect to for administration; the
test creates its own database `osteoclinic_load_<pid>` there, fills it with `generate_clinic`,
serves it with gunicorn (2 workers × 4 threads) in production settings over plain HTTP on
loopback, runs locust headless for a bounded time and number of requests, then stops gunicorn
and drops the database. Without a reachable PostgreSQL it says so and does nothing.

Static files are collected into a temporary folder: a settings module written there imports
osteoclinic.settings and changes only STATIC_ROOT (which the environment cannot set).
"""

import json
import os
import random
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PATIENTS = int(os.environ.get("LOAD_PATIENTS", os.environ.get("BENCH_PATIENTS", "10000")))
USERS = int(os.environ.get("LOAD_USERS", "20"))
SPAWN_RATE = int(os.environ.get("LOAD_SPAWN_RATE", "5"))
RUN_TIME = os.environ.get("LOAD_RUN_TIME", "30s")
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
WORKERS, THREADS = 2, 4
PORTAL_LOGINS = 10
PATIENT_POOL = 500
TITLE = "Load test on PostgreSQL (gunicorn + locust)"


def say(text: str) -> None:
    print(f"[loadtest] {text}", flush=True)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _connect(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password,
        dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
        autocommit=True,
        connect_timeout=5,
    )


def reachable(url: str) -> bool:
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        return False
    try:
        with _connect(url) as connection:
            connection.execute("SELECT 1")
        return True
    except Exception as error:  # any failure means: no PostgreSQL to test against
        say(f"PostgreSQL is not reachable ({error.__class__.__name__}: {error})".strip())
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def production_environment(database_url: str, workdir: Path) -> dict:
    """Production settings over plain HTTP on loopback: only the variables settings.py reads."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"REDIS_URL", "DEBUG", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    env.update(
        DATABASE_URL=database_url,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="false",
        SESSION_COOKIE_SECURE="false",
        CSRF_COOKIE_SECURE="false",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(workdir), str(REPO)]),
    )
    return env


def prepare(workdir: Path) -> dict:
    """Migrate, generate the clinic, collect static files and make the logins (in-process)."""
    sys.path.insert(0, str(workdir))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, User
    from django.core.management import call_command
    from django.db import connections

    from osteoclinic.generator import clinic_generate
    from patients.access import CLINICIANS
    from patients.models import Patient
    from scans.models import ScanStatus

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    say(f"Migrated in {time.perf_counter() - started:.1f} s; generating {PATIENTS:,} patients")
    summary = clinic_generate(patients=PATIENTS, seed=2026, progress=say)
    call_command("collectstatic", interactive=False, verbosity=0)

    # One PBKDF2 hash for every login: hashing 11 passwords at production cost would add
    # seconds and nothing to measure. Signing in still checks it at full cost.
    password = secrets.token_urlsafe(12)
    encoded = make_password(password)
    clinician = User.objects.create(username="load-clinician", password=encoded)
    clinician.groups.add(Group.objects.get_or_create(name=CLINICIANS)[0])
    portal = list(
        Patient.objects.filter(mrn__startswith="GEN-", scans__status=ScanStatus.RELEASED)
        .distinct()
        .order_by("pk")[:PORTAL_LOGINS]
    )
    logins = []
    for number, patient in enumerate(portal, start=1):
        user = User.objects.create(username=f"load-patient-{number:02d}", password=encoded)
        Patient.objects.filter(pk=patient.pk).update(user=user)
        patient.user = user
        logins.append([user.username, password])
        try:
            from education.services import education_sync
        except ImportError:
            continue
        education_sync(patient=patient)
    ids = list(summary.patient_ids)
    random.Random(1).shuffle(ids)
    connections.close_all()
    return {
        "clinician": ["load-clinician", password],
        "patients": logins,
        "patient_ids": ids[:PATIENT_POOL],
        "summary": {
            "patients": summary.patients,
            "scans": summary.scans,
            "measurements": summary.measurements,
        },
    }


def _wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn stopped: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer {url} within 60 s")


def _stop(process: subprocess.Popen | None) -> None:
    """End a process we started, with its children (its own process group)."""
    if process is None or process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _seconds(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def run_load(base: str, users_file: Path, workdir: Path, env: dict) -> Path:
    summary = workdir / "locust-summary.json"
    command = [
        str(BIN / "locust"),
        "-f",
        str(REPO / "tests" / "bench" / "locustfile.py"),
        "--headless",
        "--users",
        str(USERS),
        "--spawn-rate",
        str(SPAWN_RATE),
        "--run-time",
        RUN_TIME,
        "--stop-timeout",
        "5",
        "--host",
        base,
        "--only-summary",
        "--loglevel",
        "WARNING",
    ]
    locust_env = dict(
        env,
        LOAD_USERS_FILE=str(users_file),
        LOAD_MAX_REQUESTS=str(MAX_REQUESTS),
        LOAD_SUMMARY_FILE=str(summary),
    )
    say(f"locust: {USERS} users, {SPAWN_RATE}/s, {RUN_TIME}, at most {MAX_REQUESTS:,} requests")
    process = subprocess.Popen(command, cwd=REPO, env=locust_env, start_new_session=True)
    try:
        process.wait(timeout=_seconds(RUN_TIME) + 120)
    except subprocess.TimeoutExpired:
        say("locust overran its time: stopping it")
    finally:
        _stop(process)
    return summary


def _cpu_seconds(pid: int) -> float | None:
    """CPU time of a process and its children (gunicorn's master and workers), if psutil is
    there (locust brings it)."""
    try:
        import psutil
    except ImportError:
        return None
    process = psutil.Process(pid)
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        times = member.cpu_times()
        total += times.user + times.system
    return total


def _server_errors(log: Path) -> int:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text.count("Traceback (most recent call last)")


def write_results(summary: Path, prepared: dict, context: dict, log: Path) -> None:
    from tests.bench import report

    rows = json.loads(summary.read_text(encoding="utf-8"))
    total = rows[-1]
    failures = total["failures"]
    server_errors = _server_errors(log)
    errors = failures + server_errors
    clinic = prepared["summary"]
    cpu = ""
    if context.get("server_cpu") is not None and total["requests"]:
        cpu = (
            f"- CPU during the run ({context['wall']:.0f} s, 2 cores): gunicorn "
            f"{context['server_cpu']:.0f} s ({context['server_cpu'] / total['requests'] * 1000:.0f}"
            f" ms a request), locust {context['locust_cpu']:.1f} s"
        )
    lines = [
        report.machine(context["database"]),
        f"- Clinic: {clinic['patients']:,} generated patients, {clinic['scans']:,} scans, "
        f"{clinic['measurements']:,} site measurements",
        f"- Server: gunicorn {WORKERS} workers × {THREADS} threads on 127.0.0.1, DEBUG=false, "
        "whitenoise manifest static files, sessions in the database, per-worker local-memory "
        "cache (no REDIS_URL)",
        f"- Load: locust headless, {USERS} users (clinicians and patients half each) spawned "
        f"{SPAWN_RATE}/s, {RUN_TIME}, capped at {MAX_REQUESTS:,} requests; think time "
        "0.2–1 s; every user signs in through the sign-in form (CSRF token from the form, "
        "PBKDF2 at production cost); clinicians open random records of 500 patients with "
        "both charts, patients their portal home with both charts",
        *([cpu] if cpu else []),
        "",
        f"**{total['rps']:.1f} requests/s, p95 {total['p95']} ms, median {total['median']} ms, "
        f"{total['requests']:,} requests, {errors} errors** ({failures} failed requests, "
        f"{server_errors} tracebacks in the server log) — "
        + ("errors: pass" if errors == 0 else "errors: **FAIL** (must be 0)"),
        "",
        "| request | count | failures | median ms | p95 ms | max ms | req/s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        name = "All requests" if row is total else row["name"]
        lines.append(
            f"| {name} | {row['requests']:,} | {row['failures']} | {row['median']} "
            f"| {row['p95']} | {row['max']:.0f} | {row['rps']:.1f} |"
        )
    report.replace_section(f"{TITLE}, {PATIENTS:,} patients", "\n".join(lines))
    print("\n" + "\n".join(lines) + f"\n\nWritten to {report.RESULTS}")


def main() -> int:
    admin_url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not reachable(admin_url):
        say("skipped: the load test needs PostgreSQL (set DATABASE_URL)")
        return 0
    name = f"osteoclinic_load_{os.getpid()}"
    workdir = Path(tempfile.mkdtemp(prefix="osteoclinic-load-"))
    (workdir / "bench_settings.py").write_text(
        "from osteoclinic.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(workdir / 'static')!r}\n",
        encoding="utf-8",
    )
    with _connect(admin_url) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
        server_version = connection.execute("SELECT version()").fetchone()[0].split(" on ")[0]
    say(f"Created database {name}")
    server = None
    log = workdir / "gunicorn.log"
    try:
        env = production_environment(_with_database(admin_url, name), workdir)
        os.environ.update(env)
        prepared = prepare(workdir)
        users_file = workdir / "users.json"
        users_file.write_text(json.dumps(prepared), encoding="utf-8")

        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "osteoclinic.wsgi",
                f"--workers={WORKERS}",
                f"--threads={THREADS}",
                f"--bind=127.0.0.1:{port}",
                f"--error-logfile={log}",
                "--graceful-timeout=5",
            ],
            cwd=REPO,
            env=env,
            start_new_session=True,
        )
        _wait_until_serving(f"{base}/accounts/login/", server, log)
        say(f"gunicorn serving on {base}")
        context = {"database": f"{server_version} (database {name})"}
        server_cpu = _cpu_seconds(server.pid)
        locust_cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        summary = run_load(base, users_file, workdir, env)
        context["wall"] = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        context["locust_cpu"] = (after.ru_utime + after.ru_stime) - (
            locust_cpu.ru_utime + locust_cpu.ru_stime
        )
        if server_cpu is not None:
            context["server_cpu"] = _cpu_seconds(server.pid) - server_cpu
        _stop(server)
        server = None
        write_results(summary, prepared, context, log)
        return 0
    finally:
        _stop(server)
        from django.conf import settings

        if settings.configured:
            from django.db import connections

            connections.close_all()
        with _connect(admin_url) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        say(f"Dropped database {name}")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
