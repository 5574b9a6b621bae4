"""`manage.py import_fhir FILE`: a FHIR R4 Bundle of DXA results into draft scans."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from exchange.fhir_import import BundleError, import_bundle
from scans.models import Device


class Command(BaseCommand):
    help = "Import a FHIR R4 Bundle (Observations with LOINC DXA codes) as draft scans."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--device", help="Serial number of the scanner for Observations that name none."
        )
        parser.add_argument(
            "--checked",
            action="store_true",
            help="Store flagged results too: they were checked against the printed reports.",
        )

    def handle(self, *args, file, device=None, checked=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        scanner = None
        if device:
            scanner = Device.objects.filter(serial=device).first()
            if scanner is None:
                raise CommandError(f"No scanner has the serial number {device}.")
        try:
            outcome = import_bundle(text=path.read_bytes(), device=scanner, checked=checked)
        except BundleError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{len(outcome.stored)} scan(s) stored as drafts, {len(outcome.new_patients)} new "
            f"patient(s), {len(outcome.same)} already in the clinic, {len(outcome.flagged)} "
            f"flagged (not stored), {len(outcome.errors)} error(s)."
        )
        for line in outcome.flagged:
            self.stdout.write(f"Flagged: {line}")
        for line in outcome.errors:
            self.stdout.write(f"Error: {line}")
        for line in outcome.unread:
            self.stdout.write(f"Not read: {line}")
        if outcome.errors or outcome.flagged:
            raise CommandError("Some scans were not imported; see above.")
