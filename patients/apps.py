from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "patients"
    verbose_name = "Patients"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_delete, post_save, pre_delete
        from simple_history.signals import pre_create_historical_record

        from . import authorship, epochs

        # Every history row keeps its author's name as text; an author is never deleted.
        pre_create_historical_record.connect(authorship.fill_author, dispatch_uid="author-text")
        pre_delete.connect(
            authorship.refuse_deleting_authors,
            sender=get_user_model(),
            dispatch_uid="authors-kept",
        )

        # Any model: the counters follow every app's records and the user accounts.
        post_save.connect(epochs.record_written, dispatch_uid="epochs-save")
        post_delete.connect(epochs.record_written, dispatch_uid="epochs-delete")
