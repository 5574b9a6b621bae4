"""Caregiver access: a patient's consent that someone helps them with their portal.

A grant is made by an invitation (from the patient in the portal, or from a clinician who
records the patient's consent), sent by email through the outbox with a one-time link. The
caregiver signs up from the link or links the account they already have. A grant is part of
the patient's record: it is in the change history and is revoked, never deleted. Which patient
a portal request acts for is decided in one place, `patients.access.portal_subject`.
"""

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from outbox.services import message_enqueue

from .access import Role, role_of
from .models import CaregiverGrant, GrantChannel, Patient
from .tokens import caregiver_invitation_token


class CaregiverRefused(Exception):
    """This account cannot be a caregiver (staff, or the patient themself)."""


def invitation_path(grant: CaregiverGrant) -> str:
    return reverse(
        "portal:caregiver_invitation",
        kwargs={
            "gidb64": urlsafe_base64_encode(force_bytes(grant.pk)),
            "token": caregiver_invitation_token.make_token(grant),
        },
    )


def invitation_grant(gidb64: str, token: str) -> CaregiverGrant | None:
    """The open, not yet accepted grant a link names, if its token is still good."""
    try:
        pk = int(force_str(urlsafe_base64_decode(gidb64)))
    except (ValueError, TypeError, OverflowError, UnicodeDecodeError):
        return None
    grant = (
        CaregiverGrant.objects.open()
        .filter(pk=pk, caregiver__isnull=True)
        .select_related("patient")
        .first()
    )
    if grant is None or not caregiver_invitation_token.check_token(grant, token):
        return None
    return grant


def _email(grant: CaregiverGrant, base_url: str) -> None:
    # No health data: who asked, and the link. The clinic's name is the site's.
    link = base_url.rstrip("/") + invitation_path(grant)
    if grant.channel == GrantChannel.PATIENT:
        asked = f"{grant.patient.full_name} has invited you"
    else:
        asked = f"With {grant.patient.full_name}'s agreement, the clinic has invited you"
    message_enqueue(
        kind="email",
        recipient=grant.email,
        subject="An invitation to help with a patient portal at OsteoClinic",
        body=(
            f"Hello {grant.name},\n\n{asked} to help with their OsteoClinic patient portal. "
            "You will have an account of your own, and they can end your access at any time.\n\n"
            "Accept the invitation here (the link works once, for a limited time):\n"
            f"{link}\n\n"
            "If you did not expect this, ignore this email: nothing happens.\n"
        ),
        reason=f"Caregiver invitation {grant.pk}",
    )


def _name(user) -> str:
    """A person as the grant keeps them: their name and username."""
    name, username = user.get_full_name(), user.get_username()
    return (f"{name} ({username})" if name else username)[:300]


@transaction.atomic
def caregiver_invite(
    *,
    patient: Patient,
    name: str,
    email: str,
    relationship: str,
    channel: str,
    invited_by,
    base_url: str,
    consent_note: str = "",
) -> CaregiverGrant:
    """Invite a caregiver; an invitation to someone already invited is sent again on the same
    grant (the earlier link stops working). The email leaves through the outbox."""
    waiting = CaregiverGrant.objects.open().filter(
        patient=patient, email__iexact=email, caregiver__isnull=True
    )
    grant = waiting.select_for_update().first()
    if grant is None:
        try:
            with transaction.atomic():
                grant = CaregiverGrant.objects.create(
                    patient=patient, email=email, name=name, channel=channel
                )
        except IntegrityError:
            # The same person was invited at the same moment: send this one on that grant.
            # (Someone who already has access is refused by the form, which then says so.)
            grant = waiting.select_for_update().first()
            if grant is None:
                raise
    grant.name, grant.relationship = name, relationship
    grant.channel, grant.consent_note = channel, consent_note
    grant.invited_by, grant.invited_at = invited_by, timezone.now()
    grant.invited_by_name = _name(invited_by)
    grant.save()
    _email(grant, base_url)
    return grant


def may_be_caregiver(user, grant: CaregiverGrant) -> bool:
    """Staff accounts and the patient's own account cannot hold a grant."""
    if role_of(user) in (Role.CLINICIAN, Role.EDITOR, Role.SUPERUSER) or user.is_staff:
        return False
    return grant.patient.user_id != user.pk


@transaction.atomic
def caregiver_accept(*, grant: CaregiverGrant, user) -> CaregiverGrant:
    """Link the invitation to the caregiver's account; the link is spent."""
    locked = CaregiverGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is not None or locked.caregiver_id is not None:
        raise CaregiverRefused("This invitation has already been used or was withdrawn.")
    if not may_be_caregiver(user, locked):
        raise CaregiverRefused(
            "A staff account or the patient's own account cannot be a caregiver: sign in with "
            "a personal account, or create one."
        )
    if CaregiverGrant.objects.open().filter(patient=locked.patient, caregiver=user).exists():
        raise CaregiverRefused("This account already has access to this patient's portal.")
    locked.caregiver, locked.accepted_at = user, timezone.now()
    locked.caregiver_username = user.get_username()
    locked.save(update_fields=["caregiver", "caregiver_username", "accepted_at", "updated_at"])
    user._osteoclinic_caregiver = True
    return locked


@transaction.atomic
def caregiver_revoke(*, grant: CaregiverGrant, user) -> CaregiverGrant:
    """End a grant (or withdraw an invitation): kept, with who and when."""
    locked = CaregiverGrant.objects.select_for_update().get(pk=grant.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = user
        locked.revoked_by_name = _name(user)
        locked.save(update_fields=["revoked_at", "revoked_by", "revoked_by_name", "updated_at"])
    return locked
