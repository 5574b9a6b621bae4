"""How each kind of message leaves the clinic. A sender raises when the message did not go."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string

DEFAULT_SENDERS = {"email": "outbox.senders.send_email"}


def senders() -> dict[str, str]:
    """Kinds and their senders' dotted paths: ours, and those in settings.OUTBOX_SENDERS."""
    return {**DEFAULT_SENDERS, **getattr(settings, "OUTBOX_SENDERS", {})}


def sender_for(kind: str):
    try:
        return import_string(senders()[kind])
    except KeyError:
        raise ValueError(f"No sender for messages of kind {kind!r}.") from None


def send_email(message) -> None:
    """Through Django's email backend (SMTP in production, settings EMAIL_*)."""
    sent = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
    ).send(fail_silently=False)
    if sent != 1:
        raise RuntimeError("The email backend accepted no message.")
