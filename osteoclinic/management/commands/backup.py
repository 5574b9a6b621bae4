"""Back up the clinic's records to one portable JSON file (or print what one would hold).

The file is Django's own fixture format (`dumpdata`), readable by `manage.py restore` on SQLite
and PostgreSQL alike. For PostgreSQL, `pg_dump` is the faster everyday backup; both are
described in docs/backup.md, and `--counts` verifies either kind of restore.
"""

import contextlib
import os
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# Left out of every backup, and why (docs/backup.md):
# - content types and permissions are rebuilt by `migrate` for the code that runs, and are
#   referred to by natural key ("patients", "patient") in the file, never by id;
# - sessions: a restore signs everyone out rather than bring back old sign-ins;
# - django-axes' sign-in attempts: lockout state that expires within minutes;
# - background tasks, workers' signs of life and daily runs: restored tasks would run again;
#   the outbox's messages are kept, and its waiting ones are enqueued again by the workers.
EXCLUDED = ("contenttypes", "auth.Permission", "sessions", "axes", "django_tasks_database", "jobs")


def backed_up_models() -> list:
    """Every model whose rows a backup holds, in a stable order."""
    chosen = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if meta.app_label in EXCLUDED or meta.label in EXCLUDED:
            continue
        chosen.append(model)
    return sorted(chosen, key=lambda model: model._meta.label_lower)


def model_counts(using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """Rows of each backed-up model, by label ("patients.patient")."""
    return {
        model._meta.label_lower: model._base_manager.using(using).count()
        for model in backed_up_models()
    }


@contextlib.contextmanager
def snapshot(using: str):
    """One consistent view of the database while it is read, even with the site running."""
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            # The transaction's first statement: every query after it sees the database as it
            # was at that moment, not rows committed since (a scan without its sites).
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # SQLite: the open read transaction keeps the file as it is; writers wait for it.
        yield


class Command(BaseCommand):
    help = (
        "Write every record of the clinic to a JSON file (.json, or compressed: .json.gz, "
        ".json.xz, .json.bz2) that `manage.py restore` loads into an empty database. "
        "With --counts, print the number of records of each model instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="The file to write, e.g. clinic.json.gz.")
        parser.add_argument(
            "--counts",
            action="store_true",
            help="Print each model's record count (to compare a restored database with this one).",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path=None, counts=False, database=DEFAULT_DB_ALIAS, **options):
        if counts:
            self.print_counts(model_counts(database))
            return
        if not path:
            raise CommandError("Name the file to write, e.g. `manage.py backup clinic.json.gz`.")
        target = Path(path)
        if not target.parent.is_dir():
            raise CommandError(f"The folder {target.parent} does not exist.")
        # Written beside the target and renamed when complete: a backup that stopped halfway
        # never sits under a backup's name.
        # (The name keeps its ending: dumpdata compresses by it.)
        partial = target.with_name(f".partial-{target.name}")
        try:
            with snapshot(database):
                # Primary keys are kept (no --natural-primary): addresses such as /patients/12/
                # and the ids in portal invitation links stay valid after a restore.
                call_command(
                    "dumpdata",
                    exclude=list(EXCLUDED),
                    natural_foreign=True,
                    use_base_manager=True,
                    database=database,
                    output=str(partial),
                    verbosity=0,
                )
                written = model_counts(database)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        total = sum(written.values())
        self.stdout.write(f"Wrote {total:,} records to {target}:")
        self.print_counts(written)

    def print_counts(self, counts: dict[str, int]) -> None:
        for label, count in counts.items():
            self.stdout.write(f"{label} {count}")
