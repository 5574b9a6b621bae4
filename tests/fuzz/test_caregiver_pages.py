"""Generated bad input on the caregiver pages: the patient's invitation form, a made-up
invitation link, and the caregiver's sign-up from a real one."""

from django.contrib.auth.models import User
from django.urls import reverse
from hypothesis import given

from patients.caregivers import invitation_path
from patients.forms import CaregiverInviteForm
from patients.models import CaregiverGrant
from tests.fuzz import (
    FUZZ,
    assert_answered,
    assert_holds,
    assert_opens,
    assert_refused_with_a_message,
    clinic_counts,
    form_data,
    link_id,
    rolled_back,
    segment,
    sometimes_missing,
    text_or,
)


@FUZZ
@given(
    data=form_data(
        name=sometimes_missing(text_or("Jane Doe", "J" * 200, "J" * 201)),
        email=sometimes_missing(text_or("jane@example.org", "JANE@example.org", "jane@", "@")),
        relationship=sometimes_missing(text_or("daughter", "", "d" * 101)),
    )
)
def test_paula_invites_a_caregiver_with_a_message_or_one_invitation(client_for, paula, data):
    client = client_for(paula.user)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("portal:caregivers"), data)
        grant = assert_answered(response, before, CaregiverGrant)
        if grant is not None:
            assert (grant.patient, grant.channel, grant.caregiver) == (paula, "patient", None)
            assert_holds(grant, CaregiverInviteForm, data)
            assert_opens(client, response)


@FUZZ
@given(
    gidb64=link_id,
    token=segment,
)
def test_a_made_up_caregiver_link_is_gone_whatever_it_holds(client_for, paula, gidb64, token):
    client = client_for(None)
    url = reverse("portal:caregiver_invitation", kwargs={"gidb64": gidb64, "token": token})
    with rolled_back():
        CaregiverGrant.objects.create(
            patient=paula, name="Jane", email="jane@example.org", channel="patient"
        )
        before = clinic_counts()
        assert client.get(url).status_code == 410
        assert client.post(url, {"username": "x"}).status_code == 410
        assert clinic_counts() == before


@FUZZ
@given(
    data=form_data(
        first_name=sometimes_missing(text_or("Jane")),
        last_name=sometimes_missing(text_or("Doe")),
        username=sometimes_missing(text_or("jane", "paula", "PAULA", "a b", "j" * 151)),
        password1=sometimes_missing(text_or("Helping-mum-with-bones-9", "short", "jane-doe-1")),
        password2=sometimes_missing(text_or("Helping-mum-with-bones-9", "short")),
    )
)
def test_a_caregiver_signs_up_or_is_told_what_is_wrong(client_for, paula, data):
    client = client_for(None)
    with rolled_back():
        grant = CaregiverGrant.objects.create(
            patient=paula, name="Jane Doe", email="jane@example.org", channel="patient"
        )
        before = clinic_counts()
        response = client.post(invitation_path(grant), data)
        assert response.status_code in (200, 302)
        grant.refresh_from_db()
        if response.status_code == 302:
            user = User.objects.get(username=data["username"])
            assert grant.caregiver == user and user.check_password(data["password1"])
            assert client.session["_auth_user_id"] == str(user.pk)
            assert client.get(response["Location"]).status_code == 200
        else:
            assert_refused_with_a_message(response, before)
            assert grant.caregiver is None
        client.logout()
