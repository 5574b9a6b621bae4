import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


def sync_on_record_change(sender, patient, **kwargs):
    """Keep the patient's pages in step with a change to their record (sent on commit)."""
    from .services import education_sync

    try:
        education_sync(patient=patient)
    except Exception:
        # The clinical change has already committed: a failure here must not make it look
        # lost. The daily `sync_education` run catches the patient up.
        logger.exception("Education sync failed for patient %s", patient.pk)


class EducationConfig(AppConfig):
    name = "education"
    verbose_name = "Education"

    def ready(self):
        from patients.history import history_source_register
        from patients.signals import record_changed

        from .models import PatientEducation

        # The pages attached to a patient, and detached, are in their change history.
        history_source_register(
            "education",
            PatientEducation,
            "patient_id",
            related=("page",),
            label=lambda version: f"Education page “{version.page.title}”",
        )

        record_changed.connect(sync_on_record_change, dispatch_uid="education_sync_on_change")
