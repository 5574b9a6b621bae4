"""Email the patients whose next scan falls due within SCAN_DUE_NOTICE_WEEKS (a daily job)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand

from patients import notifications
from scans.models import PatientStatus


class Command(BaseCommand):
    help = (
        "Tell each patient, once per due date, that their next scan is due within "
        "SCAN_DUE_NOTICE_WEEKS weeks (those who turned these emails off are skipped)."
    )

    def handle(self, *args, **options):
        today = datetime.date.today()
        until = today + datetime.timedelta(weeks=settings.SCAN_DUE_NOTICE_WEEKS)
        due = PatientStatus.objects.filter(
            next_due__gte=today, next_due__lte=until, patient__user__is_active=True
        ).select_related("patient__user")
        emails = 0
        for status in due.iterator(chunk_size=500):
            emails += notifications.scan_due(patient=status.patient, due=status.next_due)
        self.stdout.write(
            f"Scans due by {until:%Y-%m-%d}: {emails} email{'s' if emails != 1 else ''} "
            "put in the outbox."
        )
