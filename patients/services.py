"""Workflows on the patient record that span several models: portal access, symptom reports."""

import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from . import notifications
from .models import MessageSender, Patient, SecureMessage, SymptomReport
from .signals import announce_record_changed
from .tokens import invitation_token


@dataclass(frozen=True)
class Invitation:
    user: User
    link: str
    emailed: bool


def _username_for(patient: Patient) -> str:
    base = re.sub(r"[^a-z0-9]", "", patient.given_name.lower()) or "patient"
    base = f"{base}.{re.sub(r'[^a-z0-9]', '', patient.mrn.lower())}"[:140]
    candidate, n = base, 1
    while User.objects.filter(username=candidate).exists():
        n += 1
        candidate = f"{base}{n}"
    return candidate


@transaction.atomic
def portal_invite(*, patient: Patient, base_url: str) -> Invitation:
    """Give the patient a portal account with no usable password, and a one-time link."""
    # Locked: two invitations at once would otherwise both create an account.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    user = patient.user
    if user is None:
        user = User(
            username=_username_for(patient),
            email=patient.email,
            first_name=patient.given_name,
            last_name=patient.family_name,
        )
        user.set_unusable_password()
        user.save()
        patient.user = user
        patient.save(update_fields=["user"])
    else:
        # A new invitation re-opens revoked access; the old password stops working.
        user.is_active = True
        user.email = patient.email or user.email
        user.set_unusable_password()
        user.save()
    path = reverse(
        "patients:invitation_accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token.make_token(user),
        },
    )
    link = base_url.rstrip("/") + path
    emailed = notifications.invitation(patient=patient, username=user.username, link=link)
    return Invitation(user=user, link=link, emailed=emailed)


@transaction.atomic
def portal_revoke(*, patient: Patient) -> None:
    """Stop the patient signing in; the account and its history stay."""
    if patient.user is not None:
        patient.user.is_active = False
        patient.user.set_unusable_password()
        patient.user.save()


@transaction.atomic
def symptom_report_record(*, report: SymptomReport, user) -> SymptomReport:
    """Store a diary entry with the guide's red flags it raises (patients.symptoms)."""
    report.entered_by = user
    report.raise_red_flags()
    report.save()
    announce_record_changed(SymptomReport, report.patient)
    return report


@transaction.atomic
def symptom_report_acknowledge(*, report: SymptomReport, user, note: str = "") -> SymptomReport:
    """A clinician has seen the red flags, with an optional note: the report leaves the worklist.

    A second acknowledgement (two clinicians at once) keeps the first one and its note.
    """
    report = SymptomReport.objects.select_for_update().get(pk=report.pk)
    if report.acknowledged_at is None:
        report.acknowledged_by = user
        report.acknowledged_at = timezone.now()
        report.acknowledgement_note = note.strip()
        report.save(update_fields=["acknowledged_by", "acknowledged_at", "acknowledgement_note"])
        if report.red_flags:
            notifications.red_flag_seen(patient=report.patient)
    return report


# --- Secure messages ------------------------------------------------------------------------


@transaction.atomic
def message_write(*, patient: Patient, sender: str, author, subject: str, body: str):
    """A message in the patient's thread: from the patient (written in the portal by the
    patient, or on their behalf: `author`), or from the clinic, when the patient is emailed
    that it is there."""
    message = SecureMessage.objects.create(
        patient=patient,
        sender=sender,
        author=author,
        author_name=(author.get_full_name() or author.get_username())[:300],
        subject=subject,
        body=body,
    )
    if sender == MessageSender.CLINIC:
        notifications.message_from_clinic(patient=patient)
    announce_record_changed(SecureMessage, patient)
    return message


def messages_mark_read(*, patient: Patient, sender: str) -> int:
    """The other side has opened the thread: `sender`'s unread messages are read now."""
    unread = SecureMessage.objects.filter(patient=patient, sender=sender, read_at__isnull=True)
    count = 0
    for message in unread:  # one by one, so each change is in the history
        message.read_at = timezone.now()
        message.save(update_fields=["read_at", "updated_at"])
        count += 1
    return count


@transaction.atomic
def messages_mark_done(*, patient: Patient, user) -> int:
    """A clinician has dealt with the patient's open messages: they leave the worklist."""
    count = 0
    now = timezone.now()
    for message in SecureMessage.objects.open().filter(patient=patient):
        message.done_at, message.done_by = now, user
        message.read_at = message.read_at or now
        message.save(update_fields=["done_at", "done_by", "read_at", "updated_at"])
        count += 1
    if count:
        announce_record_changed(SecureMessage, patient)
    return count
