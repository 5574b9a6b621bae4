"""Two app servers against one PostgreSQL and one Redis share sessions and cached charts.

Starts two gunicorn processes with production settings on two loopback ports, pointed at
this test run's PostgreSQL database and at Redis database 15. Skipped unless both are
reachable (CI runs it on its PostgreSQL leg).
"""

import datetime
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from scans.models import Device
from tests.conftest import make_patient, make_user
from tests.osteoclinic.test_patient_record import scan

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/15"


def reachable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def app_servers(transactional_db, tmp_path):
    if connection.vendor != "postgresql" or not reachable(6379):
        pytest.skip("Needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1:6379.")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "scale-out-test-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": REDIS_URL,
        "STATIC_ROOT": str(tmp_path / "static"),
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "LOG_LEVEL": "INFO",
        "CONN_MAX_AGE": "0",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--no-input", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    servers = []
    for name in ("a", "b"):
        port = free_port()
        log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed below
        process = subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "osteoclinic.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
                "--threads",
                "2",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        servers.append(
            {
                "url": f"http://127.0.0.1:{port}",
                "process": process,
                "log": log,
                "path": tmp_path / f"{name}.log",
            }
        )
    deadline = time.time() + 60
    for server in servers:
        while not reachable(int(server["url"].rsplit(":", 1)[1])):
            assert time.time() < deadline, server["path"].read_text()
            time.sleep(0.2)
    yield servers
    for server in servers:
        server["process"].terminate()
        server["process"].wait(timeout=30)
        server["log"].close()


def test_a_session_and_a_cached_chart_work_across_two_app_servers(app_servers):
    alice = make_user("alice", "Clinicians")
    # The servers use production's hasher, not the fast one of the test settings.
    hasher = PBKDF2PasswordHasher()
    alice.password = hasher.encode("Long-enough-passphrase-7", hasher.salt())
    alice.save()
    paula = make_patient("SCALE-1")
    hologic = Device.objects.create(manufacturer="hologic", serial="S-1")
    scan(paula, hologic, datetime.date(2022, 1, 1), ("lumbar_spine", "", "0.900", "-1.6"))
    scan(paula, hologic, datetime.date(2024, 1, 1), ("lumbar_spine", "", "0.850", "-2.0"))
    a, b = app_servers
    cookies = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(cookies))

    form = browser.open(f"{a['url']}/accounts/login/", timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"username": "alice", "password": "Long-enough-passphrase-7", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(
        f"{a['url']}/accounts/login/", data=data, headers={"Referer": f"{a['url']}/accounts/login/"}
    )
    signed_in = browser.open(request, timeout=30)
    assert signed_in.geturl() == f"{a['url']}/", signed_in.read().decode()[-3000:]

    chart = f"/scans/patient/{paula.pk}/chart/bmd.svg"
    from_a = browser.open(a["url"] + chart, timeout=60)
    # The session made on server A is honoured by server B (the cookie is for 127.0.0.1).
    from_b = browser.open(b["url"] + chart, timeout=60)
    assert from_b.status == 200 and from_b.geturl().endswith(chart)
    assert from_b.read() == from_a.read()
    for server in app_servers:
        server["log"].flush()
    assert a["path"].read_text().count("rendering bmd chart") == 1
    assert b["path"].read_text().count("rendering bmd chart") == 0
