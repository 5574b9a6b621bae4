"""Authorship is permanent: history rows keep their author's username and name as text, and a
user who has authored anything is deactivated, never deleted."""

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.deletion import ProtectedError

# The relations to a user that are not authorship: the portal account of a patient.
NOT_AUTHORSHIP = {("patients.patient", "user"), ("patients.historicalpatient", "user")}
CLINICAL_APPS = ("patients", "scans", "education", "liaison")


class AuthoredHistory(models.Model):
    """The base of every history table: who made the change, as text that outlives the account."""

    history_username = models.CharField(max_length=150, blank=True, default="")
    history_user_name = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def author(self) -> str:
        """Who made this change, for people to read."""
        name, username = self.history_user_name, self.history_username
        if not username and self.history_user_id is not None:
            username = self.history_user.get_username()
        return f"{name} ({username})" if name and username != name else username


def author_fields(user) -> dict:
    """The text columns of a history row made by `user` (None: by the system)."""
    if user is None or not user.is_authenticated:
        return {"history_username": "", "history_user_name": ""}
    return {
        "history_username": user.get_username(),
        "history_user_name": user.get_full_name()[:300],
    }


def fill_author(sender, history_instance, history_user=None, **kwargs) -> None:
    """pre_create_historical_record: the author's name goes into the row with the link."""
    for name, value in author_fields(history_user).items():
        setattr(history_instance, name, value)


def _authorship_relations():
    # Hidden ones too: most links to a user are declared with related_name="+".
    fields = get_user_model()._meta.get_fields(include_hidden=True)
    for relation in (f for f in fields if f.one_to_many or f.one_to_one):
        if relation.concrete:
            continue
        meta = relation.related_model._meta
        if meta.app_label in CLINICAL_APPS and (meta.label_lower, relation.field.name) not in (
            NOT_AUTHORSHIP
        ):
            yield relation


def user_has_authored(user) -> bool:
    """Whether any record, history row or access-log entry names this user."""
    return any(
        relation.related_model._base_manager.filter(**{relation.field.name: user.pk}).exists()
        for relation in _authorship_relations()
    )


def refuse_deleting_authors(sender, instance, **kwargs) -> None:
    """pre_delete of a user: an author is deactivated instead (their name stays on their work)."""
    if user_has_authored(instance):
        raise ProtectedError(
            f"{instance.get_username()} has made changes or looked at records: deactivate the "
            "account instead of deleting it.",
            {instance},
        )
