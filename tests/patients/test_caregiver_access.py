"""Caregiver access: invited by the patient (or by a clinician with the patient's consent),
the caregiver signs up or links their account, sees the patient's portal and nothing else,
writes in the diary as themself, and loses access at the next request once it is revoked."""

import datetime
import re

import pytest
from django.db import transaction
from django.urls import reverse

from outbox.models import Message
from patients.access import PORTAL_CHOICE
from patients.models import AccessLogEntry, CaregiverGrant, ReportSource, SymptomReport
from tests.conftest import make_caregiver, make_user
from tests.osteoclinic.test_patient_record import scan

pytestmark = pytest.mark.django_db

INVITE = {"name": "Jane Doe", "email": "jane@example.org", "relationship": "daughter"}
SIGN_UP = {
    "first_name": "Jane",
    "last_name": "Doe",
    "username": "jane",
    "password1": "Helping-mum-with-bones-9",
    "password2": "Helping-mum-with-bones-9",
}


def invitation_link(message: Message) -> str:
    return re.search(r"https?://\S+", message.body).group(0)


def local(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def invite_as_paula(client_for, paula, **fields) -> str:
    client = client_for(paula.user)
    response = client.post(reverse("portal:caregivers"), {**INVITE, **fields})
    assert response.status_code == 302, response.content.decode()[:2000]
    return local(invitation_link(Message.objects.latest("pk")))


@pytest.fixture
def released_result(paula, hologic):
    return scan(paula, hologic, datetime.date(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))


def test_the_patient_invites_and_the_email_leaves_through_the_outbox_without_health_data(
    client_for, paula, released_result
):
    invite_as_paula(client_for, paula)

    grant = CaregiverGrant.objects.get(patient=paula)
    assert (grant.name, grant.email, grant.channel, grant.invited_by) == (
        "Jane Doe",
        "jane@example.org",
        "patient",
        paula.user,
    )
    assert grant.caregiver is None and grant.state_label == "invited, not yet accepted"
    message = Message.objects.get()
    assert (message.kind, message.recipient, message.status) == ("email", grant.email, "pending")
    assert "Paula Fischer has invited you" in message.body
    for health_data in ("-2.7", "0.772", "osteopor", paula.mrn, "T-score"):
        assert health_data not in message.body


def test_the_caregiver_signs_up_from_the_link_and_sees_the_patients_result(
    client, client_for, paula, released_result
):
    path = invite_as_paula(client_for, paula)
    client.logout()

    page = client.get(path)
    assert page.status_code == 200 and b"Help Paula Fischer with their portal" in page.content
    response = client.post(path, SIGN_UP)

    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    grant = CaregiverGrant.objects.get()
    assert (grant.caregiver_username, grant.invited_by_name) == ("jane", "paula")
    jane = grant.caregiver
    assert (jane.username, jane.email, jane.get_full_name()) == (
        "jane",
        "jane@example.org",
        "Jane Doe",
    )
    home = client.get(reverse("portal:home"))
    assert home.status_code == 200
    assert b"You are helping <strong>Paula Fischer</strong>" in home.content
    # The page is about Paula, and greets nobody by her name.
    assert "Paula’s bone health" in home.content.decode()
    assert b"Hello, Paula" not in home.content
    assert "lower than normal" in home.content.decode()
    # The link worked once.
    assert client.get(path).status_code == 410


def test_the_access_log_names_the_caregiver_as_such(client_for, paula, released_result):
    carol = make_caregiver("carol", paula, first_name="Carol", last_name="Jones")
    client_for(carol).get(reverse("portal:home"))

    entry = AccessLogEntry.objects.get(patient=paula)
    assert (entry.user, entry.username, entry.role, entry.action) == (
        carol,
        "carol",
        "caregiver",
        "portal",
    )
    looks = client_for(paula.user).get(reverse("portal:access_log")).content.decode()
    assert "Carol Jones (caregiver)" in looks


def test_a_revoked_grant_takes_effect_at_the_next_request_and_stays_in_the_history(
    client_for, paula, alice, released_result
):
    carol = make_caregiver("carol", paula)
    grant = CaregiverGrant.objects.get(caregiver=carol)
    assert client_for(carol).get(reverse("portal:home")).status_code == 200

    response = client_for(paula.user).post(reverse("portal:caregiver_revoke", args=[grant.pk]))
    assert response.status_code == 302

    caregiver = client_for(carol)
    for name in ("portal:home", "portal:symptoms", "portal:access_log"):
        assert caregiver.get(reverse(name)).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_by == paula.user and grant.revoked_by_name == "paula"
    assert grant.revoked_at is not None and grant.state_label == "revoked"
    assert CaregiverGrant.objects.filter(pk=grant.pk).exists()  # never deleted
    history = client_for(alice).get(reverse("patients:history", args=[paula.pk]))
    ended = history.context["page"].object_list[0]
    assert ended.record.startswith("Caregiver access: Carol Carer") and ended.who == "paula"
    changes = {change.label: (change.old, change.new) for change in ended.changes}
    assert changes["revoked by"] == ("—", "paula")
    assert changes["revoked at"][0] == "—"
    listed = client_for(paula.user).get(reverse("portal:caregivers")).content
    assert listed.count(b"Access ended") == 1


def test_a_caregiver_of_several_patients_chooses_and_switches(client_for, paula, pete):
    carol = make_caregiver("carol", paula, pete)
    client = client_for(carol)

    assert client.get(reverse("portal:home"))["Location"] == reverse("portal:choose")
    chooser = client.get(reverse("portal:choose")).content.decode()
    assert "Paula Fischer" in chooser and "Pete Okafor" in chooser

    client.post(reverse("portal:choose"), {"patient": pete.pk})
    assert b"Pete Okafor</strong>" in client.get(reverse("portal:home")).content
    client.post(reverse("portal:choose"), {"patient": paula.pk})
    assert b"Paula Fischer</strong>" in client.get(reverse("portal:home")).content
    # Revoking the grant of the patient chosen sends the caregiver back to choose... or to the
    # one patient left.
    CaregiverGrant.objects.filter(patient=paula).update(
        revoked_at=datetime.datetime.now(datetime.UTC)
    )
    assert b"Pete Okafor</strong>" in client.get(reverse("portal:home")).content


def test_a_caregiver_of_paula_reaches_nothing_of_petes(client_for, paula, pete, hologic):
    from education.models import EducationPage, PatientEducation

    scan(pete, hologic, datetime.date(2024, 1, 5), ("lumbar_spine", "", "0.990", "-0.4"))
    petes_page = PatientEducation.objects.create(
        patient=pete, page=EducationPage.objects.for_patients().first(), reason="r", source="rule"
    )
    petes_grant = CaregiverGrant.objects.create(
        patient=pete, name="Pat", email="pat@example.org", channel="patient"
    )
    carol = make_caregiver("carol", paula)
    client = client_for(carol)

    # Every portal URL with pete's ids.
    assert client.get(reverse("portal:education", args=[petes_page.pk])).status_code == 404
    revoke = client.post(reverse("portal:caregiver_revoke", args=[petes_grant.pk]))
    assert revoke.status_code == 403
    petes_grant.refresh_from_db()
    assert petes_grant.revoked_at is None
    # Choosing pete, by the form or by a session that names him, opens paula's portal only.
    client.post(reverse("portal:choose"), {"patient": pete.pk})
    session = client.session
    session[PORTAL_CHOICE] = pete.pk
    session.save()
    for name, kwargs in (
        ("portal:home", {}),
        ("portal:chart", {"kind": "tscore"}),
        ("portal:chart", {"kind": "bmd"}),
        ("portal:symptoms", {}),
        ("portal:pain_chart", {}),
        ("portal:choose", {}),
    ):
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 200, name
        assert b"Okafor" not in response.content and b"0.990" not in response.content, name
    assert client.get(reverse("portal:access_log")).status_code == 403
    assert not AccessLogEntry.objects.filter(patient=pete, outcome="shown").exists()
    assert AccessLogEntry.objects.filter(patient=pete, user=carol, outcome="refused").count() == 2


def test_a_diary_entry_by_the_caregiver_is_marked_as_theirs(client_for, paula, alice):
    carol = make_caregiver("carol", paula, first_name="Carol", last_name="Jones")
    client = client_for(carol)
    form = client.get(reverse("portal:symptoms")).content.decode()
    assert "You are writing on behalf of Paula Fischer" in form

    client.post(reverse("portal:symptoms"), {"pain": "4", "pain_hip": "on"})

    report = SymptomReport.objects.get(patient=paula)
    assert (report.source, report.entered_by) == (ReportSource.CAREGIVER, carol)
    diary = client_for(paula.user).get(reverse("portal:symptoms")).content.decode()
    assert "Entered on Paula's behalf by Carol Jones (caregiver)." in diary
    record = client_for(alice).get(reverse("patient_record", args=[paula.pk])).content.decode()
    assert "Caregiver on the patient&#x27;s behalf (portal): Carol Jones" in record


def test_a_caregiver_never_sees_clinician_notes(client_for, paula, released_result):
    paula.clinician_notes = "Discussed the family situation privately."
    paula.save()
    client = client_for(make_caregiver("carol", paula))
    for name in ("portal:home", "portal:symptoms", "portal:access_log", "portal:choose"):
        assert b"family situation" not in client.get(reverse(name)).content


def test_an_existing_caregiver_links_the_invitation_to_their_account(client_for, paula, pete):
    cora = make_caregiver("cora", pete)
    path = invite_as_paula(client_for, paula, email=cora.email)
    client = client_for(cora)

    assert b"Accept with this account" in client.get(path).content
    client.post(path)

    assert CaregiverGrant.objects.get(patient=paula).caregiver == cora
    assert b"Paula Fischer</strong>" in client.get(reverse("portal:home")).content
    chooser = client.get(reverse("portal:choose")).content.decode()
    assert "Paula Fischer" in chooser and "Pete Okafor" in chooser


def test_a_patient_who_helps_another_switches_between_the_two_portals(client_for, paula, pete):
    path = invite_as_paula(client_for, paula, email="pete@example.org")
    client = client_for(pete.user)
    client.post(path)

    # Having accepted, he is helping paula; the log says so.
    assert b"You are helping <strong>Paula Fischer" in client.get(reverse("portal:home")).content
    entry = AccessLogEntry.objects.filter(patient=paula).latest("pk")
    assert (entry.user, entry.role) == (pete.user, "caregiver")
    client.post(reverse("portal:choose"), {"patient": pete.pk})
    own = client.get(reverse("portal:home")).content
    assert b"Hello, Pete" in own and b"You are helping" not in own
    assert b">Switch person</a>" in own
    assert AccessLogEntry.objects.filter(patient=pete).latest("pk").role == "patient"
    # Signed in afresh, his own portal comes first.
    client = client_for(pete.user)
    assert b"Hello, Pete" in client.get(reverse("portal:home")).content


@pytest.mark.parametrize("who", ["alice", "eddie", "paula"])
def test_staff_and_the_patient_themself_cannot_become_the_caregiver(
    who, client_for, paula, alice, eddie
):
    path = invite_as_paula(client_for, paula)
    user = {"alice": alice, "eddie": eddie, "paula": paula.user}[who]
    client = client_for(user)

    response = client.post(path)

    assert response.status_code == 200 and b"cannot be a caregiver" in response.content
    assert CaregiverGrant.objects.get().caregiver is None


def test_a_new_invitation_replaces_the_link_and_a_withdrawn_one_stops_working(
    client, client_for, paula
):
    first = invite_as_paula(client_for, paula)
    second = invite_as_paula(client_for, paula, name="Jane M. Doe")

    assert CaregiverGrant.objects.count() == 1 and Message.objects.count() == 2
    client.logout()
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200
    grant = CaregiverGrant.objects.get()
    client_for(paula.user).post(reverse("portal:caregiver_revoke", args=[grant.pk]))
    client.logout()
    assert client.get(second).status_code == 410


def test_someone_with_access_is_not_invited_twice(client_for, paula):
    carol = make_caregiver("carol", paula)
    response = client_for(paula.user).post(
        reverse("portal:caregivers"), {**INVITE, "email": carol.email.upper()}
    )
    assert response.status_code == 200
    assert "This person already has access" in response.content.decode()
    assert Message.objects.count() == 0


def test_a_bad_sign_up_says_what_is_wrong_next_to_the_field(client, client_for, paula):
    path = invite_as_paula(client_for, paula)
    client.logout()
    response = client.post(path, {**SIGN_UP, "password2": "something-else-entirely-1"})
    assert response.status_code == 200
    assert "password fields didn’t match" in response.content.decode()
    assert CaregiverGrant.objects.get().caregiver is None


def test_a_clinician_invites_only_with_the_patients_consent_recorded(client_for, paula, alice):
    client = client_for(alice)
    url = reverse("patients:caregiver_invite", args=[paula.pk])

    refused = client.post(url, INVITE)
    assert refused.status_code == 200
    text = refused.content.decode()
    assert "Invite a caregiver only with the patient&#x27;s agreement." in text
    assert "Say when and how the patient agreed" in text
    assert not CaregiverGrant.objects.exists()

    done = client.post(
        url, {**INVITE, "consent_given": "on", "consent_note": "In clinic today, in person."}
    )
    assert done.status_code == 302 and done["Location"] == paula.get_absolute_url()
    grant = CaregiverGrant.objects.get()
    assert (grant.channel, grant.consent_note, grant.invited_by) == (
        "clinician",
        "In clinic today, in person.",
        alice,
    )
    assert "With Paula Fischer's agreement" in Message.objects.get().body
    record = client.get(paula.get_absolute_url()).content.decode()
    assert "Jane Doe" in record and "In clinic today, in person." in record
    client.post(reverse("patients:caregiver_revoke", args=[grant.pk]))
    grant.refresh_from_db()
    assert grant.revoked_by == alice


def test_the_caregiver_manages_nobodys_access_and_does_not_see_who_looked(client_for, paula):
    client = client_for(make_caregiver("carol", paula))
    assert client.get(reverse("portal:access_log")).status_code == 403
    assert client.get(reverse("portal:caregivers")).status_code == 403
    assert client.post(reverse("portal:caregivers"), INVITE).status_code == 403
    assert not CaregiverGrant.objects.filter(email=INVITE["email"]).exists()


def test_a_caregiver_account_without_grants_has_no_portal(client_for, paula):
    nobody = make_user("former")
    assert client_for(nobody).get(reverse("portal:home")).status_code == 404
    assert client_for(nobody).get(reverse("portal:choose")).status_code == 404


def test_a_page_the_caregiver_reads_stays_new_for_the_patient(client_for, paula):
    from education.models import EducationPage, PatientEducation

    attachment = PatientEducation.objects.create(
        patient=paula,
        page=EducationPage.objects.for_patients().first(),
        reason="Your scan showed low bone mass.",
        source="rule",
    )
    carol = make_caregiver("carol", paula)
    page = client_for(carol).get(reverse("portal:education", args=[attachment.pk]))

    assert page.status_code == 200
    attachment.refresh_from_db()
    assert attachment.first_viewed_at is None
    entry = AccessLogEntry.objects.get(patient=paula)
    assert (entry.user, entry.role, entry.action) == (carol, "caregiver", "education")
    client_for(paula.user).get(reverse("portal:education", args=[attachment.pk]))
    attachment.refresh_from_db()
    assert attachment.first_viewed_at is not None


def test_one_open_grant_per_address_and_a_second_invitation_reuses_it(paula):
    from django.db import IntegrityError

    from patients.caregivers import caregiver_invite

    first = caregiver_invite(
        patient=paula,
        channel="patient",
        invited_by=paula.user,
        base_url="http://testserver/",
        **INVITE,
    )
    # A second grant for the same address, made behind the service's back, is refused by the
    # database; the service sends the second invitation on the first grant.
    with pytest.raises(IntegrityError), transaction.atomic():
        CaregiverGrant.objects.create(
            patient=paula, name="x", email="JANE@example.org", channel="patient"
        )
    again = caregiver_invite(
        patient=paula,
        channel="patient",
        invited_by=paula.user,
        base_url="http://testserver/",
        **{**INVITE, "email": "Jane@Example.org"},
    )
    assert again.pk == first.pk and CaregiverGrant.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_invitations_to_one_person_at_once_make_one_grant(paula, alice):
    from django.db import connection
    from django.test import Client

    from tests.at_once import post_at_once

    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (run with DATABASE_URL).")
    clients = {"paula": Client(), "alice": Client()}
    clients["paula"].force_login(paula.user)
    clients["alice"].force_login(alice)
    url = reverse("patients:caregiver_invite", args=[paula.pk])
    consent = {**INVITE, "consent_given": "on", "consent_note": "By phone today."}
    results = post_at_once(
        {
            "paula": (clients["paula"], reverse("portal:caregivers"), INVITE),
            "alice": (clients["alice"], url, consent),
        }
    )

    assert results == {"paula": 302, "alice": 302}
    assert CaregiverGrant.objects.count() == 1 and Message.objects.count() == 2


def test_an_expired_invitation_says_so_and_is_sent_again_from_the_list(
    client, client_for, paula, settings
):
    old_link = invite_as_paula(client_for, paula)
    grant = CaregiverGrant.objects.get()
    lifetime = datetime.timedelta(days=settings.PORTAL_INVITATION_DAYS, minutes=1)
    CaregiverGrant.objects.filter(pk=grant.pk).update(invited_at=grant.invited_at - lifetime)
    patient = client_for(paula.user)

    listed = patient.get(reverse("portal:caregivers")).content.decode()
    assert "not yet accepted; the link has expired." in listed
    resend = re.search(r'<form method="post" action="/portal/caregivers/">.*?</form>', listed, re.S)
    fields = dict(re.findall(r'name="([a-z_]+)" value="([^"]*)"', resend.group(0)))
    assert patient.post(reverse("portal:caregivers"), fields).status_code == 302

    assert CaregiverGrant.objects.count() == 1 and Message.objects.count() == 2
    assert "the link has expired" not in patient.get(reverse("portal:caregivers")).content.decode()
    client.logout()
    assert client.get(old_link).status_code == 410
    assert client.get(local(invitation_link(Message.objects.latest("pk")))).status_code == 200
