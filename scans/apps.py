from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "scans"
    verbose_name = "Scans"

    def ready(self):
        from patients.signals import record_changed

        from .services import status_refresh

        # The stored reading follows every committed change to a patient's record.
        def refresh(sender, patient, **kwargs):
            status_refresh(patient=patient)

        record_changed.connect(refresh, weak=False, dispatch_uid="scans.status_refresh")
