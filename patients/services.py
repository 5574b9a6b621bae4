"""Workflows on the patient record that span several models: portal access, symptom reports."""

import re
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Patient, SymptomReport
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
    emailed = False
    if patient.email:
        send_mail(
            "Your OsteoClinic patient portal",
            f"Hello {patient.given_name},\n\nThe clinic has opened a portal where you can see "
            f"your bone density results, charts and the information chosen for you.\n\n"
            f"Choose your password here (the link works once, for a limited time):\n{link}\n\n"
            f"Your username is: {user.username}\n",
            None,
            [patient.email],
        )
        emailed = True
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
    return report
