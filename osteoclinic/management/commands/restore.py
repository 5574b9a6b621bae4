"""Restore a `manage.py backup` file into a new, migrated database, and prove it is whole."""

import bz2
import gzip
import json
import lzma
from collections import Counter
from pathlib import Path

from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from .backup import model_counts

OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open, ".lzma": lzma.open}


def file_counts(path: Path) -> Counter:
    """Records of each model in a backup file, by label."""
    opener = OPENERS.get(path.suffix, open)
    with opener(path, "rt", encoding="utf-8") as file:
        return Counter(record["model"] for record in json.load(file))


class Command(BaseCommand):
    help = (
        "Load a file written by `manage.py backup` into a new database that `migrate` has "
        "just created, in one transaction, then check every model's count against the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file (.json, .json.gz, .json.xz, .json.bz2).")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path, database=DEFAULT_DB_ALIAS, **options):
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"There is no file {source}.")
        try:
            expected = file_counts(source)
        except (OSError, ValueError, EOFError, KeyError, TypeError) as error:
            raise CommandError(
                f"{source} is not a file written by `manage.py backup` ({error})."
            ) from None
        self.check_ready(database)

        with transaction.atomic(using=database):
            # The migrations' own rows (the role groups, the first education pages) are in the
            # backup as they were edited since; flush removes them, keeps the tables, and
            # rebuilds content types and permissions for the file's natural keys to find.
            call_command("flush", database=database, interactive=False, verbosity=0)
            call_command("loaddata", str(source), database=database, verbosity=0)
            restored = model_counts(database)
            wrong = {
                label: (expected.get(label, 0), restored.get(label, 0))
                for label in expected.keys() | restored.keys()
                if expected.get(label, 0) != restored.get(label, 0)
            }
            if wrong:
                # Raising rolls the whole restore back: the database is as `migrate` left it.
                details = "; ".join(
                    f"{label}: {count} in the file, {got} loaded"
                    for label, (count, got) in sorted(wrong.items())
                )
                raise CommandError(f"The restore was rolled back: {details}.")

        self.stdout.write(f"Restored {sum(expected.values()):,} records from {source}:")
        for label, count in restored.items():
            self.stdout.write(f"{label} {count}")

    def check_ready(self, database: str) -> None:
        """Migrated to this code's schema, and holding no one's records yet."""
        connection = connections[database]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("Run `manage.py migrate` on the new database first.")
        held = {
            "users": User.objects.using(database).count(),
            **{
                str(model._meta.verbose_name_plural): model._base_manager.using(database).count()
                for model in apps.get_app_config("patients").get_models()
                if not model._meta.label.startswith("patients.Historical")
            },
        }
        held = {name: count for name, count in held.items() if count}
        if held:
            listed = ", ".join(f"{count} {name}" for name, count in held.items())
            raise CommandError(
                f"This database already holds records ({listed}). Restore into a new database "
                "(see docs/backup.md), never over one in use."
            )
