"""A made-up clinic for benchmarks and load tests: `generate_clinic --patients 10000`."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from osteoclinic import generator


class Command(BaseCommand):
    help = (
        "Add N made-up patients (MRNs GEN-000001 on) with scans, fractures, treatments and "
        "symptom reports, and build their stored readings. A second run adds N more with new "
        "MRNs. Refuses when DEBUG is off unless --force is given."
    )

    def add_arguments(self, parser):
        parser.add_argument("--patients", type=int, required=True, help="How many patients.")
        parser.add_argument(
            "--seed", type=int, default=0, help="The same seed gives the same records."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even though DEBUG is off (a dedicated benchmark database).",
        )

    def handle(self, *args, patients, seed, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "generate_clinic writes thousands of made-up patients; it runs only with "
                "DEBUG=true. Use --force on a dedicated benchmark database."
            )
        if patients < 1:
            raise CommandError("--patients must be at least 1.")
        summary = generator.clinic_generate(
            patients=patients, seed=seed, progress=self.stdout.write
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {summary.patients:,} patients ({summary.first_mrn} to "
                f"{summary.last_mrn}): {summary.scans:,} scans, {summary.measurements:,} "
                f"measurements, {summary.fractures:,} fractures, {summary.treatments:,} "
                f"treatments, {summary.heights:,} heights, {summary.symptom_reports:,} symptom "
                f"reports, {summary.frax_entries:,} FRAX entries, "
                f"{summary.fls_episodes:,} fracture liaison episodes in "
                f"{summary.write_seconds:.1f} s; "
                f"stored readings in {summary.status_seconds:.1f} s."
            )
        )
