"""The education panel of the clinician's record page."""

from django.db.models import Case, IntegerField, Value, When

from patients.models import Patient

from .models import AttachmentStatus, EducationPage, PatientEducation

# Pages the patient has now first, then those that stopped applying, then detached ones.
STATUS_ORDER = Case(
    When(status=AttachmentStatus.INDICATED, then=Value(0)),
    When(status=AttachmentStatus.NO_LONGER_INDICATED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def attachable_pages(patient: Patient):
    """Published patient pages not on the patient's list now (retired ones may come back)."""
    current = PatientEducation.objects.indicated().filter(patient=patient).values("page_id")
    return EducationPage.objects.for_patients().exclude(pk__in=current)


def record_panel_context(patient: Patient) -> dict:
    """Context for education/_record_panel.html, in two queries."""
    education = list(
        PatientEducation.objects.filter(patient=patient)
        .select_related("page", "added_by")
        .order_by(STATUS_ORDER, "page__order", "page__title")
    )
    return {
        "education": education,
        "attachable_pages": list(attachable_pages(patient).only("pk", "title", "order")),
    }
