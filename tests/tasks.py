"""Running background tasks in tests: the real worker, in this process or as `db_worker`."""

import os
import sys
import time
from pathlib import Path

from django.db import connection
from django_tasks_db.management.commands import db_worker

ROOT = Path(__file__).resolve().parents[1]


def run_tasks(*, max_tasks: int | None = None, worker_id: str = "test-worker") -> int:
    """Run every task that is ready now with django-tasks-db's own worker loop (as
    `db_worker --batch` does), in this process and this test's transaction; how many ran."""
    worker = db_worker.Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=max_tasks,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    # The loop closes connections it finds outside autocommit, as a new request would; inside a
    # test's transaction that is the test's own connection. Django's test client switches the
    # same hygiene off (request_started) for the same reason.
    close_old_connections = db_worker.close_old_connections
    db_worker.close_old_connections = lambda: None
    try:
        worker.run()
    finally:
        db_worker.close_old_connections = close_old_connections
    return worker._run_tasks


def database_url() -> str:
    """The test database as a DATABASE_URL, for a worker process (its data must be committed:
    transactional tests)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        assert "memory" not in str(db["NAME"]), "a worker process needs a file database"
        return f"sqlite:///{db['NAME']}"
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def worker_env(**extra: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-key-" + "x" * 40,
        "DATABASE_URL": database_url(),
        "CONN_MAX_AGE": "0",
        "WORKER_CLOCK_SECONDS": "1",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def start_worker(log_path: Path, worker_id: str, **env: str):
    """A `manage.py db_worker` process on the test database, with its clock ticking each second."""
    import subprocess

    log = open(log_path, "w")  # noqa: SIM115 - closed by stop_worker
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "db_worker",
            "--no-reload",
            "--no-startup-delay",
            "--interval",
            "0.2",
            "--worker-id",
            worker_id,
        ],
        cwd=ROOT,
        env=worker_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.log = log
    process.log_path = log_path
    return process


def stop_worker(process, *, kill: bool = False) -> None:
    if process.poll() is None:
        process.kill() if kill else process.terminate()
        process.wait(timeout=30)
    process.log.close()


def wait_for(condition, *, timeout: float = 60, message: str = "", every: float = 0.05):
    """Poll until condition() is true; fail with message (or the value) after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, message or f"timed out waiting for {condition}"
        time.sleep(every)
