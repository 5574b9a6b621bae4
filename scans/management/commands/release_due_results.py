"""Release the results the clinic's release rule says are due (a daily job of the workers)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from patients.models import ClinicDetails
from scans.services import release_due


class Command(BaseCommand):
    help = (
        "Release to the portal the scans due under the clinic's release rule (at once when "
        "final, or a set number of days after final unless held); nothing under the rule "
        "of release after review."
    )

    def handle(self, *args, **options):
        rule = ClinicDetails.current().get_release_rule_display()
        released = release_due(now=timezone.now())
        names = ", ".join(f"scan {scan.pk} of {scan.date:%Y-%m-%d}" for scan in released)
        self.stdout.write(
            f"Release rule: {rule}. Released {len(released)} "
            f"scan{'s' if len(released) != 1 else ''}" + (f": {names}." if names else ".")
        )
