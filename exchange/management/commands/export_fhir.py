"""Print one patient's DEXA record as a FHIR R4 collection Bundle (JSON) on standard output."""

import json

from django.core.management.base import BaseCommand, CommandError

from exchange import fhir
from patients.models import Patient


class Command(BaseCommand):
    help = "Print a patient's FHIR R4 Bundle: Patient, Observations, DiagnosticReports, Conditions."

    def add_arguments(self, parser):
        parser.add_argument("mrn", help="The patient's MRN (case does not matter).")

    def handle(self, *args, mrn, **options):
        patient = Patient.objects.filter(mrn__iexact=mrn.strip()).first()
        if patient is None:
            raise CommandError(f"No patient has the MRN {mrn}.")
        self.stdout.write(json.dumps(fhir.patient_bundle(patient), ensure_ascii=False, indent=2))
