from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import epochs

        # Any model: the counters follow every app's records and the user accounts.
        post_save.connect(epochs.record_written, dispatch_uid="epochs-save")
        post_delete.connect(epochs.record_written, dispatch_uid="epochs-delete")
