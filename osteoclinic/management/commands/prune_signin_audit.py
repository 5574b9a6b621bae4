"""Remove sign-in audit rows older than the retention setting, and say what was removed."""

import datetime
import logging

from axes.models import AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

logger = logging.getLogger("osteoclinic.audit")


class Command(BaseCommand):
    help = (
        "Remove sign-in and sign-out audit rows older than SIGNIN_AUDIT_RETENTION_DAYS; "
        "logs how many of each were removed and the dates they spanned."
    )

    def handle(self, *args, **options):
        days = settings.SIGNIN_AUDIT_RETENTION_DAYS
        cutoff = timezone.now() - datetime.timedelta(days=days)
        with transaction.atomic():
            for model in (AccessLog, AccessFailureLog):
                old = model.objects.filter(attempt_time__lt=cutoff)
                span = old.aggregate(first=Min("attempt_time"), last=Max("attempt_time"))
                count, _ = old.delete()
                name = model._meta.verbose_name_plural
                if count:
                    message = (
                        f"Pruned {count} {name} from {span['first']:%Y-%m-%d} to "
                        f"{span['last']:%Y-%m-%d} (older than {days} days, before "
                        f"{cutoff:%Y-%m-%d %H:%M %Z})."
                    )
                else:
                    message = f"Pruned no {name}: none older than {days} days."
                logger.warning(message)
                self.stdout.write(message)
