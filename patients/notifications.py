"""Emails that tell a patient there is something new: one function per event.

Every email goes through the outbox (written in the caller's transaction, sent by a worker,
retried), never from inside a request. No email carries health data: it says that there is
something new and links to the portal, where the patient signs in to read it. A patient turns
each kind off on their portal's email page (`NotificationPreferences`); the invitation, which
comes before any account, is always sent.

`recipients` is the one place that says who gets a patient's emails.
"""

import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from outbox.services import message_enqueue

from .models import ClinicDetails, NotificationPreferences, NotificationSent, Patient

RESULT_RELEASED = "result_released"
SCAN_DUE = "scan_due"
MESSAGE = "message"
RED_FLAG_SEEN = "red_flag_seen"


def preferences_of(patient: Patient) -> NotificationPreferences:
    """The patient's choices: every kind on (not yet saved) until they say otherwise."""
    found = NotificationPreferences.objects.filter(patient=patient).first()
    return found or NotificationPreferences(patient=patient)


def recipients(patient: Patient, event: str) -> list[tuple[str, str, bool]]:
    """Who is emailed about `event` for `patient`, as (address, name, whether a caregiver): the
    patient, through their active portal account, and each caregiver who holds access to their
    portal now, unless the patient turned that kind off."""
    if not getattr(preferences_of(patient), event):
        return []
    found = []
    user = patient.user
    if user is not None and user.is_active and (user.email or patient.email):
        found.append((user.email or patient.email, patient.given_name, False))
    grants = patient.caregiver_grants.active().select_related("caregiver")
    for grant in grants.order_by("pk"):
        address = grant.caregiver.email or grant.email
        if address:
            found.append((address, grant.caregiver.get_full_name() or grant.name, True))
    return found


def _portal_link(name: str = "portal:home") -> str:
    return settings.SITE_URL + reverse(name)


def _body(patient: Patient, news: str, link: str, *, name: str, caregiver: bool) -> str:
    clinic = ClinicDetails.current()
    if caregiver:
        # The caregiver reads the patient's portal: the same news, said of the patient, and no
        # link to the patient's own choices, which are theirs to make.
        return (
            f"Hello {name},\n\nThere is something new in the portal of {patient.given_name}, "
            f"whom you help: sign in to read it.\n{link}\n\n"
            f"{clinic.how_to_contact}\n\n{clinic.name}\n"
        )
    return (
        f"Hello {name},\n\n{news}\n\n"
        f"Sign in to your portal to read it:\n{link}\n\n"
        f"{clinic.how_to_contact}\n\n"
        f"You can choose which emails you receive on your portal's email page:\n"
        f"{_portal_link('portal:notifications')}\n\n"
        f"{clinic.name}\n"
    )


def _send(patient: Patient, event: str, subject: str, news: str, link: str) -> int:
    sent = 0
    for address, name, caregiver in recipients(patient, event):
        message_enqueue(
            kind="email",
            recipient=address,
            subject=f"Something new in {patient.given_name}'s portal" if caregiver else subject,
            body=_body(patient, news, link, name=name, caregiver=caregiver),
            reason=f"{event.replace('_', ' ')} (patient {patient.pk})",
        )
        sent += 1
    return sent


@transaction.atomic
def invitation(*, patient: Patient, username: str, link: str) -> bool:
    """The portal invitation: the one-time link to choose a password. Whether one was sent."""
    if not patient.email:
        return False
    clinic = ClinicDetails.current()
    message_enqueue(
        kind="email",
        recipient=patient.email,
        subject=f"Your {clinic.name} patient portal",
        body=(
            f"Hello {patient.given_name},\n\nThe clinic has opened a portal where you can see "
            f"your bone density results, charts and the information chosen for you, and write "
            f"to the clinic.\n\n"
            f"Choose your password here (the link works once, for a limited time):\n{link}\n\n"
            f"Your username is: {username}\n\n{clinic.how_to_contact}\n\n{clinic.name}\n"
        ),
        reason=f"portal invitation (patient {patient.pk})",
    )
    return True


def result_released(*, patient: Patient) -> int:
    """A result has been released to the portal."""
    return _send(
        patient,
        RESULT_RELEASED,
        "A new result is in your portal",
        "A new result from the clinic is ready in your patient portal.",
        _portal_link(),
    )


@transaction.atomic
def scan_due(*, patient: Patient, due: datetime.date) -> int:
    """The next scan is due soon: once per due date, however often the daily job runs."""
    try:
        with transaction.atomic():
            NotificationSent.objects.create(patient=patient, event=SCAN_DUE, about=due.isoformat())
    except IntegrityError:
        return 0
    return _send(
        patient,
        SCAN_DUE,
        "Your next bone density scan is due soon",
        "Your next bone density scan is due soon. Please contact the clinic to book it; "
        "your portal shows when it is due.",
        _portal_link(),
    )


def message_from_clinic(*, patient: Patient) -> int:
    """The clinic has written to the patient."""
    return _send(
        patient,
        MESSAGE,
        "You have a new message from the clinic",
        "The clinic has sent you a message.",
        _portal_link("portal:messages"),
    )


def red_flag_seen(*, patient: Patient) -> int:
    """A clinician has seen (acknowledged) symptoms the patient reported."""
    return _send(
        patient,
        RED_FLAG_SEEN,
        "The clinic has seen your symptom diary",
        "A clinician has seen the symptoms you reported in your diary.",
        _portal_link("portal:symptoms"),
    )
