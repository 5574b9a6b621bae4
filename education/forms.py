from django import forms
from django.utils import timezone

from patients.concurrency import EditGuardMixin
from patients.dates import DateBoundsMixin

from .models import EducationPage
from .triggers import TRIGGER_CHOICES, in_vocabulary_order

# How long a review holds before the page is due for the next one.
REVIEW_INTERVAL_DAYS = 365


class EducationPageForm(DateBoundsMixin, EditGuardMixin, forms.ModelForm):
    planned_dates = ("review_due",)
    """The editor's form: findings as tick boxes, and "reviewed" as a statement, not a user."""

    triggers = forms.MultipleChoiceField(
        label="Findings it answers",
        choices=TRIGGER_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Patients with any of these findings are given the page once it is published.",
    )
    mark_reviewed = forms.BooleanField(
        label="I have reviewed this page",
        required=False,
        help_text=(
            "Records you as the reviewer, today; the next review is due in a year unless "
            "you set another date."
        ),
    )

    class Meta:
        model = EducationPage
        fields = [
            "title",
            "slug",
            "summary",
            "body",
            "audience",
            "status",
            "triggers",
            "order",
            "review_due",
        ]
        widgets = {"body": forms.Textarea(attrs={"rows": 24, "cols": 100})}

    def clean_triggers(self):
        return in_vocabulary_order(self.cleaned_data["triggers"])

    def apply_review(self, page: EducationPage, user) -> None:
        """Record the review the editor stated, before the page is saved."""
        if not self.cleaned_data.get("mark_reviewed"):
            return
        now = timezone.now()
        page.reviewed_by = user
        page.reviewed_at = now
        if "review_due" not in self.changed_data or page.review_due is None:
            page.review_due = timezone.localdate(now) + timezone.timedelta(
                days=REVIEW_INTERVAL_DAYS
            )


class AttachForm(forms.Form):
    page = forms.ModelChoiceField(
        queryset=EducationPage.objects.none(),
        label="Page",
        error_messages={"required": "Choose a page to attach."},
    )
    note = forms.CharField(
        label="Note for the record (not shown to the patient)",
        required=False,
        max_length=1000,
    )

    def __init__(self, *args, pages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["page"].queryset = pages
        self.fields["page"].error_messages["invalid_choice"] = (
            "That page cannot be attached: it is already on the list, or not published for "
            "patients."
        )


class DetachForm(forms.Form):
    note = forms.CharField(
        label="Why it is detached (not shown to the patient)",
        required=False,
        max_length=1000,
    )
