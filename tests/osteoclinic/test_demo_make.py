"""`make demo` on a busy port says so and how to choose another; the favicon is served."""

import shutil
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_demo_on_a_busy_port_names_the_port_and_how_to_choose_another():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            ["make", "demo", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True, timeout=60
        )
    assert done.returncode != 0
    assert f"Port {port} on 127.0.0.1 is busy" in done.stdout
    assert "make demo PORT=8010" in done.stdout
    # Stopped before migrating or seeding anything.
    assert "seed_demo" not in done.stdout + done.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_the_port_check_passes_on_a_free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    done = subprocess.run(
        ["make", "port-free", f"PORT={port}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout


def test_the_readme_tells_how_to_serve_the_demo_on_another_port():
    assert "make demo PORT=8010" in (ROOT / "README.md").read_text()


def test_favicon_ico_is_an_icon_and_every_page_links_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    page = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/favicon.ico"' in page
    assert 'favicon.svg" type="image/svg+xml"' in page
