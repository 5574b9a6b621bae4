"""Demo data: the named demo users and their patients. Safe to run again."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from osteoclinic import demo


class Command(BaseCommand):
    help = (
        "Create or refresh the demo users and patients (refuses when DEBUG is off); "
        "--reset wipes a demo database and seeds it again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even though DEBUG is off (production)."
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Wipe every row and seed again; only on a database seed_demo made.",
        )

    def handle(self, *args, force=False, reset=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with a published password; it runs only with "
                "DEBUG=true. Use --force if you really mean to load demo data here."
            )
        if reset:
            try:
                demo.reset()
            except demo.NotADemoDatabase as refusal:
                raise CommandError(str(refusal)) from None
            self.stdout.write(self.style.SUCCESS("The demo data was wiped and seeded again."))
        else:
            demo.seed()
        self.stdout.write(self.style.SUCCESS("Demo data is ready. Sign in with:"))
        for username, role in demo.LOGINS:
            self.stdout.write(f"  {username:<6} {role:<18} password: {demo.PASSWORD}")
