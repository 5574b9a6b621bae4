"""Results that cross the clinic's edge by HL7 v2: who sends them, their local codes, and every
message received, kept as it came (docs/clinical-rules.md §14)."""

from django.db import models
from django.urls import reverse

from patients.models import Patient
from scans.models import Device, DexaScan, Side, Site


class Quantity(models.TextChoices):
    BMD = "bmd", "BMD (g/cm²)"
    T_SCORE = "t_score", "T-score"
    Z_SCORE = "z_score", "Z-score"
    BMC = "bmc", "BMC (g)"
    AREA = "area", "Area (cm²)"


class Sender(models.Model):
    """A system that sends results (MSH-3 sending application, MSH-4 facility), and the
    scanner whose results it sends."""

    application = models.CharField(
        "sending application", max_length=180, help_text="MSH-3, as the sender fills it."
    )
    facility = models.CharField(
        "sending facility", max_length=180, blank=True, help_text="MSH-4; empty for any."
    )
    device = models.ForeignKey(
        Device,
        on_delete=models.PROTECT,
        related_name="senders",
        help_text="The scanner whose results this sender reports.",
    )
    active = models.BooleanField(default=True, help_text="Untick to stop accepting its results.")

    class Meta:
        ordering = ["application", "facility"]
        verbose_name = "HL7 sender"
        constraints = [
            models.UniqueConstraint(
                fields=["application", "facility"], name="sender_application_facility_unique"
            ),
        ]

    def __str__(self):
        return f"{self.application}" + (f" at {self.facility}" if self.facility else "")


class LocalCode(models.Model):
    """A sender's own OBX-3 code for one value of one site, beside the LOINC codes."""

    sender = models.ForeignKey(Sender, on_delete=models.CASCADE, related_name="local_codes")
    code = models.CharField(max_length=60, help_text="OBX-3, first component, as sent.")
    site = models.CharField(max_length=12, choices=Site.choices)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True, default=Side.NONE)
    quantity = models.CharField(max_length=8, choices=Quantity.choices)

    class Meta:
        ordering = ["sender", "code"]
        verbose_name = "local code"
        constraints = [
            models.UniqueConstraint(fields=["sender", "code"], name="local_code_unique"),
        ]

    def __str__(self):
        return f"{self.code}: {self.get_site_display()} {self.get_quantity_display()}"


class InboundStatus(models.TextChoices):
    STORED = "stored", "Stored as a draft"
    WAITING = "waiting", "Waiting for a clinician"
    ERROR = "error", "Error in the message"


class InboundMessageQuerySet(models.QuerySet):
    def needing_attention(self):
        return self.filter(status__in=[InboundStatus.WAITING, InboundStatus.ERROR])


class InboundMessage(models.Model):
    """One message as received (never changed), what became of it and the answer sent."""

    received_at = models.DateTimeField(auto_now_add=True)
    raw = models.TextField(help_text="The message exactly as received.")
    sending_application = models.CharField(max_length=180, blank=True)
    sending_facility = models.CharField(max_length=180, blank=True)
    control_id = models.CharField("message control id", max_length=199, blank=True)
    message_type = models.CharField(max_length=30, blank=True)
    status = models.CharField(max_length=10, choices=InboundStatus.choices)
    reason = models.TextField(blank=True, help_text="Why it waits, or what is wrong.")
    ack_code = models.CharField("answer", max_length=2, blank=True)
    sender = models.ForeignKey(
        Sender, null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.PROTECT, related_name="hl7_messages"
    )
    scan = models.ForeignKey(
        DexaScan, null=True, blank=True, on_delete=models.PROTECT, related_name="hl7_messages"
    )
    # The plausibility warnings a clinician checked against the report before processing again.
    checked_warnings = models.JSONField(default=list, blank=True)
    resends = models.PositiveIntegerField(
        default=0, help_text="Times the same message was received again."
    )
    processed_by = models.CharField(max_length=150, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = "inbound HL7 message"
        constraints = [
            # §14: MSH-10 is unique per sender; a resend is recognised by it.
            models.UniqueConstraint(
                fields=["sending_application", "sending_facility", "control_id"],
                condition=~models.Q(control_id=""),
                name="inbound_one_per_sender_control_id",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "received_at"],
                condition=models.Q(status__in=["waiting", "error"]),
                name="inbound_attention_idx",
            ),
        ]

    def __str__(self):
        return f"{self.message_type or 'Message'} {self.control_id or self.pk}"

    def get_absolute_url(self):
        return reverse("exchange:inbound_detail", kwargs={"pk": self.pk})
