from django_tasks import task

from .services import DeliveryFailed, message_deliver


@task()
def deliver(*, message_id: int, attempt: int = 1) -> str:
    """Send one message of the outbox; on failure the next attempt is already enqueued."""
    outcome = message_deliver(message_id=message_id)
    if outcome.failed:
        raise DeliveryFailed(outcome.text)
    return outcome.text
