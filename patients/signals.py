"""The one signal of the clinical record.

Apps to the right of `patients` (education) must follow changes made by apps they depend on,
without those apps importing them: services send `record_changed` after a clinical change
commits, and the education app refreshes that patient's attachments.
"""

from django.db import transaction
from django.dispatch import Signal

record_changed = Signal()  # sender: the model class changed; kwargs: patient


def announce_record_changed(sender, patient) -> None:
    """Tell listeners, once the current transaction commits, that `patient` changed."""
    transaction.on_commit(lambda: record_changed.send(sender=sender, patient=patient))
