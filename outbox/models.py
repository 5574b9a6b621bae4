"""Messages the clinic must send after a change is committed (email now; HL7 results next)."""

from django.db import models


class Status(models.TextChoices):
    PENDING = "pending", "Waiting to be sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed: gave up after every attempt"


class Message(models.Model):
    # A kind names its sender (outbox.senders); other apps add kinds through settings.
    kind = models.CharField(max_length=20)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField()
    # What caused it, in plain words, for whoever looks at the outbox.
    reason = models.CharField(max_length=200, blank=True)
    # The record it is about ("scan:42"), so that record's page can show what became of it.
    about = models.CharField(max_length=100, blank=True, db_index=True)
    # What the receiver answered, when it answers (an HL7 ACK), kept as received.
    response = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self):
        return f"{self.kind} to {self.recipient}: {self.subject or self.reason}"[:120]
