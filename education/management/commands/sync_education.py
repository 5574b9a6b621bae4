"""Run daily: findings change with time alone (the 8-week mark, a scan falling due)."""

from django.core.management.base import BaseCommand

from education.services import SyncResult, education_sync
from patients.models import Patient


class Command(BaseCommand):
    help = "Bring every patient's education pages in step with their record and today's date."

    def handle(self, *args, **options):
        total = SyncResult()
        patients = 0
        for patient in Patient.objects.order_by("pk").iterator(chunk_size=200):
            total += education_sync(patient=patient)
            patients += 1
        noun = "patient" if patients == 1 else "patients"
        self.stdout.write(
            f"{patients} {noun}: {total.attached} attached, {total.updated} updated, "
            f"{total.no_longer_indicated} no longer indicated."
        )
