"""One-time portal invitation links (Django's token generator, with their own salt and life)."""

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    """A token that works once: it is bound to the user's password hash and last login."""

    key_salt = "osteoclinic.patients.tokens.InvitationTokenGenerator"

    def check_token(self, user, token) -> bool:
        # Django's check, with the invitation's own lifetime instead of the reset timeout.
        if not (user and token):
            return False
        try:
            timestamp_b36, _hash = token.split("-")
            timestamp = base36_to_int(timestamp_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(
                self._make_token_with_timestamp(user, timestamp, secret), token
            ):
                break
        else:
            return False
        age = self._num_seconds(self._now()) - timestamp
        return age <= settings.PORTAL_INVITATION_DAYS * 24 * 3600


invitation_token = InvitationTokenGenerator()


class CaregiverInvitationTokenGenerator(InvitationTokenGenerator):
    """A caregiver's invitation link: bound to the grant, it stops working once the grant is
    accepted or revoked, or a newer invitation is sent."""

    key_salt = "osteoclinic.patients.tokens.CaregiverInvitationTokenGenerator"

    def _make_hash_value(self, grant, timestamp):
        return (
            f"{grant.pk}:{grant.email.lower()}:{grant.invited_at.isoformat()}:"
            f"{grant.accepted_at}:{grant.revoked_at}:{timestamp}"
        )


caregiver_invitation_token = CaregiverInvitationTokenGenerator()
