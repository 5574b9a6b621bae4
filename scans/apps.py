from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "scans"
    verbose_name = "Scans"

    def ready(self):
        from patients.history import history_source_register
        from patients.signals import record_changed

        from .models import DexaScan, FraxEntry, SiteMeasurement, VertebraMeasurement
        from .services import status_refresh

        # Scans, their measurements and FRAX results are in the patient's change history.
        history_source_register("scan", DexaScan, "patient_id", related=("device",))
        history_source_register(
            "measurement",
            SiteMeasurement,
            "scan__patient_id",
            related=("scan",),
            label=lambda version: f"{version.instance} (scan of {version.scan.date:%Y-%m-%d})",
        )
        history_source_register(
            "vertebra",
            VertebraMeasurement,
            "scan__patient_id",
            related=("scan",),
            label=lambda version: f"{version.instance} (scan of {version.scan.date:%Y-%m-%d})",
        )
        history_source_register("frax", FraxEntry, "patient_id")

        # The stored reading follows every committed change to a patient's record.
        def refresh(sender, patient, **kwargs):
            status_refresh(patient=patient)

        record_changed.connect(refresh, weak=False, dispatch_uid="scans.status_refresh")
