"""Settings come from the environment; production values pass Django's deployment checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SECRET_KEY": "k7$Qv9!mZ2#rT8^wL4&xN6*pB1@cY5(eH3)uJ0_sD7+fG2=aK9-oI4~lM8",
    "DEBUG": "false",
    "ALLOWED_HOSTS": "clinic.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://clinic.example.org",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests allow async-unsafe ORM calls in this process; a deployment never does.
    unset = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_missing_secret_key_stops_start_up_with_a_clear_error():
    env = {**PRODUCTION, "SECRET_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_accepts_only_true_or_false():
    result = manage("check", **{**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr


def test_debug_is_off_unless_asked_for():
    from django.conf import settings

    assert settings.DEBUG is False
