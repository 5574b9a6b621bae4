"""Education pages (written by editors, every edit kept) and the pages attached to a patient."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.safestring import SafeString
from simple_history.models import HistoricalRecords

from patients.authorship import AuthoredHistory
from patients.models import Patient

from .rendering import render_markdown, render_page
from .triggers import (
    TRIGGER_CHOICES,
    TRIGGER_LABELS,
    in_vocabulary_order,
    unknown_codes,
    validate_trigger_codes,
)


class Audience(models.TextChoices):
    PATIENTS = "patients", "Patients"
    CLINICIANS = "clinicians", "Clinicians"


class PageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class EducationPageQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=PageStatus.PUBLISHED)

    def for_patients(self):
        """Published pages written for patients: the only ones a patient may be given."""
        return self.published().filter(audience=Audience.PATIENTS)


class EducationPage(models.Model):
    slug = models.SlugField(
        max_length=100, unique=True, help_text="The page's address: lowercase words and dashes."
    )
    title = models.CharField(max_length=200)
    summary = models.CharField(
        max_length=300, help_text="One line, shown under the title and in lists."
    )
    body = models.TextField(
        help_text="Markdown: ## for headings, - for lists, **bold**, [text](https://…) for links."
    )
    audience = models.CharField(max_length=12, choices=Audience.choices, default=Audience.PATIENTS)
    status = models.CharField(
        max_length=10,
        choices=PageStatus.choices,
        default=PageStatus.DRAFT,
        help_text="Only published pages reach patients. Unpublish a page instead of deleting it.",
    )
    triggers = models.JSONField(
        "findings it answers",
        default=list,
        blank=True,
        validators=[validate_trigger_codes],
        help_text="Patients with any of these findings are given the page.",
    )
    order = models.PositiveIntegerField(
        "display order", default=500, help_text="Lower numbers are listed first."
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_due = models.DateField("review due", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = EducationPageQuerySet.as_manager()

    class Meta:
        ordering = ["order", "title"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(slug=""), name="education_page_slug_set"),
            models.CheckConstraint(
                condition=models.Q(audience__in=Audience.values),
                name="education_page_audience_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PageStatus.values),
                name="education_page_status_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # One order for the codes everywhere, so that an unchanged choice is no change.
        if isinstance(self.triggers, list) and not unknown_codes(self.triggers):
            self.triggers = in_vocabulary_order(self.triggers)
        super().save(*args, **kwargs)

    @property
    def body_html(self) -> SafeString:
        """The body as sanitized HTML (see rendering.py)."""
        return render_markdown(self.body)

    def body_for(self, *, reader: str | None = None, link_for=None) -> SafeString:
        """The body as one reader sees it (rendering.render_page)."""
        return render_page(self.body, reader=reader, link_for=link_for)

    @property
    def is_published(self) -> bool:
        return self.status == PageStatus.PUBLISHED

    def pending_revision(self) -> "PageRevision | None":
        """The newest revision waiting to be published, if any."""
        return self.revisions.filter(state=RevisionState.PENDING).order_by("-pk").first()

    def trigger_labels(self) -> list[str]:
        return [TRIGGER_LABELS.get(code, code) for code in self.triggers]


class Source(models.TextChoices):
    RULE = "rule", "Finding"
    CLINICIAN = "clinician", "Clinician"


class AttachmentStatus(models.TextChoices):
    INDICATED = "indicated", "Indicated"
    NO_LONGER_INDICATED = "no_longer_indicated", "No longer indicated"
    DETACHED = "detached", "Detached by clinician"


class PatientEducationQuerySet(models.QuerySet):
    def indicated(self):
        return self.filter(status=AttachmentStatus.INDICATED)


class PatientEducation(models.Model):
    """A page given to a patient, and why. Never deleted: pages that stop applying are marked."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="education")
    page = models.ForeignKey(EducationPage, on_delete=models.PROTECT, related_name="attachments")
    reason = models.TextField(help_text="Shown to the patient with the page.")
    source = models.CharField(max_length=10, choices=Source.choices)
    finding_code = models.CharField("finding", max_length=40, blank=True, choices=TRIGGER_CHOICES)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The clinician who attached the page; empty when a finding did.",
    )
    added_at = models.DateTimeField(default=timezone.now)
    first_viewed_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(
        null=True, blank=True, help_text="When the patient last opened the page."
    )
    status = models.CharField(
        max_length=20, choices=AttachmentStatus.choices, default=AttachmentStatus.INDICATED
    )
    note = models.TextField(blank=True, help_text="The clinician's note; not shown to the patient.")
    history = HistoricalRecords(bases=[AuthoredHistory])

    objects = PatientEducationQuerySet.as_manager()

    class Meta:
        ordering = ["page__order", "page__title"]
        verbose_name = "patient's education page"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "page"], name="patient_education_one_per_page"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=AttachmentStatus.values),
                name="patient_education_status_valid",
            ),
            # A finding attaches without a person; a clinician always has a name.
            models.CheckConstraint(
                condition=models.Q(source=Source.RULE, added_by__isnull=True)
                | models.Q(source=Source.CLINICIAN, added_by__isnull=False),
                name="patient_education_source_fits_added_by",
            ),
        ]

    def __str__(self):
        return f"{self.page} for {self.patient}"

    @property
    def is_indicated(self) -> bool:
        return self.status == AttachmentStatus.INDICATED

    @property
    def finding_label(self) -> str:
        return TRIGGER_LABELS.get(self.finding_code, "")

    @property
    def is_new(self) -> bool:
        """Not opened by the patient since it was (last) attached."""
        return self.last_opened_at is None or self.last_opened_at < self.added_at


class RevisionState(models.TextChoices):
    PENDING = "pending", "Waiting to be published"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Replaced by a later revision"


# What a revision holds: everything patients read of a page and who is given it. The status and
# the review record are not among them: unpublishing a page takes effect at once.
REVISED_FIELDS = ("title", "summary", "body", "audience", "triggers", "order")


class PageRevision(models.Model):
    """An edit to a published page, kept apart until an editor publishes it. Never deleted:
    published and replaced revisions stay in the page's history."""

    page = models.ForeignKey(EducationPage, on_delete=models.PROTECT, related_name="revisions")
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300)
    body = models.TextField()
    audience = models.CharField(max_length=12, choices=Audience.choices)
    triggers = models.JSONField("findings it answers", default=list, blank=True)
    order = models.PositiveIntegerField("display order")
    note = models.CharField(max_length=300, blank=True, help_text="Where the revision came from.")
    state = models.CharField(
        max_length=12, choices=RevisionState.choices, default=RevisionState.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=300, blank=True, help_text="Name (username).")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=300, blank=True, help_text="Name (username).")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=RevisionState.values),
                name="page_revision_state_valid",
            ),
        ]

    def __str__(self):
        return f"Revision of “{self.page}” ({self.get_state_display().lower()})"

    @property
    def is_pending(self) -> bool:
        return self.state == RevisionState.PENDING

    def body_for(self, *, reader: str | None = None, link_for=None) -> SafeString:
        return render_page(self.body, reader=reader, link_for=link_for)

    def trigger_labels(self) -> list[str]:
        return [TRIGGER_LABELS.get(code, code) for code in self.triggers]
