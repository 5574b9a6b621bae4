"""Workflows on education: keeping a patient's pages in step with their record, by hand or rule."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from patients.models import Patient

from .models import (
    REVISED_FIELDS,
    AttachmentStatus,
    Audience,
    EducationPage,
    PageRevision,
    PatientEducation,
    RevisionState,
    Source,
)
from .triggers import Finding, facts_for, findings

CLINICIAN_REASON = "Your clinician chose this page for you."


@dataclass(frozen=True)
class SyncResult:
    attached: int = 0  # new, or indicated again after a time of not being indicated
    updated: int = 0  # still indicated, with a new reason
    no_longer_indicated: int = 0

    def __add__(self, other: "SyncResult") -> "SyncResult":
        return SyncResult(
            self.attached + other.attached,
            self.updated + other.updated,
            self.no_longer_indicated + other.no_longer_indicated,
        )

    @property
    def changed(self) -> bool:
        return bool(self.attached or self.updated or self.no_longer_indicated)


def reason_for(matches: list[Finding]) -> str:
    """What the patient reads: every finding that led to the page, most specific first."""
    reasons, told = [], set()
    for finding in matches:
        if finding.about and finding.about in told:
            continue  # the same fracture, already told in a more specific reason
        told.add(finding.about)
        reasons.append(f"{finding.reason}.")
    return " ".join(reasons)


def indicated_pages(found: list[Finding], pages: list[EducationPage]) -> dict[int, tuple[str, str]]:
    """Page id → (finding code, reason) for each page that answers one of the findings."""
    wanted = {}
    for page in pages:
        matches = [finding for finding in found if finding.code in page.triggers]
        if matches:
            # Several findings may lead to one page (calcium: osteoporosis and a low intake).
            # All the reasons are shown; the most specific finding is recorded as the source.
            wanted[page.pk] = (matches[0].code, reason_for(matches))
    return wanted


@transaction.atomic
def education_sync(
    *,
    patient: Patient,
    today: datetime.date | None = None,
    symptom_findings: frozenset[str] | None = None,
) -> SyncResult:
    """Attach, update and retire the pages the patient's findings call for.

    Only published pages for patients are attached. A page a clinician detached is never
    attached again by a rule, a clinician's own attachment is left as it is, and pages that no
    longer apply are marked "no longer indicated", never deleted. Running it twice changes
    nothing the second time (not even history).
    """
    today = today or datetime.date.today()
    # Locked and read afresh: syncs of one patient (the signal, the daily command) take turns,
    # and each reads the risk factors as they are now, not as a caller's copy holds them.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    found = findings(facts_for(patient, today, symptom_findings=symptom_findings), today)
    pages = list(EducationPage.objects.for_patients().only("pk", "triggers"))
    wanted = indicated_pages(found, pages)
    existing = {a.page_id: a for a in PatientEducation.objects.filter(patient=patient)}

    attached = updated = retired = 0
    for page_id, (code, reason) in wanted.items():
        attachment = existing.get(page_id)
        if attachment is None:
            PatientEducation.objects.create(
                patient=patient,
                page_id=page_id,
                reason=reason,
                source=Source.RULE,
                finding_code=code,
                status=AttachmentStatus.INDICATED,
            )
            attached += 1
        elif attachment.source == Source.CLINICIAN or attachment.status == (
            AttachmentStatus.DETACHED
        ):
            # A clinician's decision, either way, outranks the rules.
            continue
        elif attachment.status == AttachmentStatus.NO_LONGER_INDICATED:
            # Attached again: new to the patient again, whatever they read before.
            _update(
                attachment,
                status=AttachmentStatus.INDICATED,
                reason=reason,
                finding_code=code,
                added_at=timezone.now(),
            )
            attached += 1
        elif (attachment.reason, attachment.finding_code) != (reason, code):
            _update(attachment, reason=reason, finding_code=code)
            updated += 1
    for attachment in existing.values():
        if (
            attachment.source == Source.RULE
            and attachment.status == AttachmentStatus.INDICATED
            and attachment.page_id not in wanted
        ):
            _update(attachment, status=AttachmentStatus.NO_LONGER_INDICATED)
            retired += 1
    return SyncResult(attached=attached, updated=updated, no_longer_indicated=retired)


def _update(attachment: PatientEducation, **values) -> None:
    for name, value in values.items():
        setattr(attachment, name, value)
    attachment.save(update_fields=list(values))


@transaction.atomic
def education_attach(
    *, patient: Patient, page: EducationPage, user, note: str = ""
) -> PatientEducation:
    """A clinician gives a published patient page to a patient (again, if it was retired)."""
    if not page.is_published or page.audience != Audience.PATIENTS:
        raise ValidationError(
            "Only published pages written for patients can be given to a patient.",
            code="page_not_for_patients",
        )
    attachment = (
        PatientEducation.objects.select_for_update().filter(patient=patient, page=page).first()
    )
    if attachment is None:
        attachment = PatientEducation(patient=patient, page=page)
    elif attachment.is_indicated:
        raise ValidationError(
            f"“{page.title}” is already on this patient's list.", code="already_attached"
        )
    # A page that stopped applying, or was detached, becomes the clinician's attachment.
    attachment.reason = CLINICIAN_REASON
    attachment.source = Source.CLINICIAN
    attachment.finding_code = ""
    attachment.added_by = user
    attachment.added_at = timezone.now()
    attachment.status = AttachmentStatus.INDICATED
    attachment.note = note.strip()
    attachment._history_user = user
    try:
        with transaction.atomic():
            attachment.save()
    except IntegrityError:
        # Another request attached the same page a moment ago (nothing to lock beforehand).
        raise ValidationError(
            f"“{page.title}” is already on this patient's list.", code="already_attached"
        ) from None
    return attachment


@transaction.atomic
def education_detach(*, attachment: PatientEducation, user, note: str = "") -> PatientEducation:
    """A clinician takes a page off a patient's list; rules will not put it back."""
    attachment = PatientEducation.objects.select_for_update().get(pk=attachment.pk)
    if attachment.status == AttachmentStatus.DETACHED:
        return attachment
    attachment.status = AttachmentStatus.DETACHED
    attachment.note = note.strip()
    attachment._history_user = user
    attachment.save(update_fields=["status", "note"])
    return attachment


def education_mark_viewed(*, attachment: PatientEducation) -> PatientEducation:
    """Record that the patient opened the page: the first time (for the clinician) and the
    latest (the page is no longer "new" to them)."""
    now = timezone.now()
    # Conditional updates: two tabs opening the page at once keep the earlier first view.
    PatientEducation.objects.filter(pk=attachment.pk, first_viewed_at__isnull=True).update(
        first_viewed_at=now
    )
    PatientEducation.objects.filter(pk=attachment.pk).update(last_opened_at=now)
    attachment.refresh_from_db(fields=["first_viewed_at", "last_opened_at"])
    return attachment


def _who(user) -> str:
    if user is None:
        return ""
    name, username = user.get_full_name(), user.get_username()
    return f"{name} ({username})" if name else username


@transaction.atomic
def page_revision_save(*, page: EducationPage, values: dict, user, note: str = "") -> PageRevision:
    """An edit to a published page, kept as a pending revision: patients go on reading the
    published text until an editor publishes it. An earlier pending revision is replaced
    (and kept)."""
    page = EducationPage.objects.select_for_update().get(pk=page.pk)
    page.revisions.filter(state=RevisionState.PENDING).update(
        state=RevisionState.SUPERSEDED, decided_at=timezone.now(), decided_by=_who(user)
    )
    return PageRevision.objects.create(
        page=page,
        **{name: values[name] for name in REVISED_FIELDS},
        note=note,
        created_by=_who(user),
    )


@transaction.atomic
def page_revision_publish(*, revision: PageRevision, user) -> EducationPage:
    """The revision becomes the page patients read: a new version in the page's history."""
    revision = PageRevision.objects.select_for_update().get(pk=revision.pk)
    if not revision.is_pending:
        raise ValidationError(
            f"This revision is {revision.get_state_display().lower()}: only a revision waiting "
            "to be published can be published.",
            code="revision_not_pending",
        )
    page = EducationPage.objects.select_for_update().get(pk=revision.page_id)
    for name in REVISED_FIELDS:
        setattr(page, name, getattr(revision, name))
    page.full_clean()
    page._history_user = user
    created = timezone.localtime(revision.created_at)
    page._change_reason = f"Published the revision of {created:%Y-%m-%d %H:%M}"
    page.save()
    revision.state = RevisionState.PUBLISHED
    revision.decided_at = timezone.now()
    revision.decided_by = _who(user)
    revision.save(update_fields=["state", "decided_at", "decided_by"])
    return page


@transaction.atomic
def education_page_restore(*, page: EducationPage, version, user) -> EducationPage | PageRevision:
    """Bring back an earlier version of a page: for a published page, a pending revision to
    publish; a draft is changed at once (no patient reads it). Nothing is deleted."""
    when = timezone.localtime(version.history_date)
    if page.is_published:
        values = {name: getattr(version, name) for name in REVISED_FIELDS}
        return page_revision_save(
            page=page, values=values, user=user, note=f"The version of {when:%Y-%m-%d %H:%M}"
        )
    for name in RESTORED_FIELDS:
        setattr(page, name, getattr(version, name))
    page.full_clean()
    page._history_user = user
    page._change_reason = f"Restored the version of {when:%Y-%m-%d %H:%M}"
    page.save()
    return page


# The slug is the page's identity (its address), so it is not taken back from an old version.
RESTORED_FIELDS = (
    "title",
    "summary",
    "body",
    "audience",
    "status",
    "triggers",
    "order",
    "review_due",
)
