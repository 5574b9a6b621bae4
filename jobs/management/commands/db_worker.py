"""django-tasks-db's worker with the clinic's clock beside it (jobs.clock).

Same command, same options as the library's (`--help`); this app is listed before the library
in INSTALLED_APPS so that `manage.py db_worker` is this one.
"""

from django_tasks_db.management.commands import db_worker

from jobs.clock import Clock


class ClockedWorker(db_worker.Worker):
    def run(self) -> None:
        # Started here rather than in handle(): with --reload only the reloaded child runs.
        clock = Clock(worker_id=self.worker_id)
        clock.start()
        try:
            super().run()
        finally:
            clock.stop()


class Command(db_worker.Command):
    help = (
        "Run a background worker: it takes tasks from the database one at a time, and its "
        "clock enqueues the daily jobs and sends again what the outbox held back."
    )

    def handle(self, *args, **options):
        # The library builds its Worker by name inside handle(); swap in ours for this call.
        original = db_worker.Worker
        db_worker.Worker = ClockedWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
