"""Rebuild every patient's stored reading (after an upgrade, or daily for overdue scans)."""

from django.core.management.base import BaseCommand

from patients.models import Patient
from scans.services import status_refresh


class Command(BaseCommand):
    help = "Rebuild the stored reading (category, loss, next scan due) of every patient."

    def handle(self, *args, **options):
        count = 0
        for patient in Patient.objects.iterator(chunk_size=500):
            status_refresh(patient=patient)
            count += 1
        self.stdout.write(f"Refreshed {count} patient{'s' if count != 1 else ''}.")
