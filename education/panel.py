"""The education panel of the clinician's record page."""

import functools

from django.db import connection
from django.db.models import Case, IntegerField, Value, When

from patients.models import Patient
from patients.versions import column, newest, read, select, table

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


def panel_version(patient: Patient) -> tuple:
    """Marks that move on with any change to what the panel shows, read in one query.

    The newest history row (id and time) of the patient's attachments and of all pages (titles,
    publication), and how many attachments have been opened: a first view is recorded with a
    conditional update, which writes no history.
    """
    sql, uses = _panel_version_sql(connection.vendor)
    return read(sql, [patient.pk] * uses)


@functools.cache
def _panel_version_sql(vendor: str) -> tuple[str, int]:
    attachments, history = PatientEducation, PatientEducation.history.model
    return select(
        [
            *newest(history, f" WHERE {column(history, 'patient')} = %s"),
            f"SELECT COUNT({column(attachments, 'first_viewed_at')}) FROM {table(attachments)} "
            f"WHERE {column(attachments, 'patient')} = %s",
            *newest(EducationPage.history.model),
        ]
    )
