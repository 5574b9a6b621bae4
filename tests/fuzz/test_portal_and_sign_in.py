"""Generated bad input on the pages patients and strangers reach: portal, invitation, sign-in."""

from axes.utils import reset
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import example, given

from patients.forms import SymptomReportForm
from patients.models import SymptomReport
from patients.tokens import invitation_token
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
    symptom_post,
    text_or,
)


@FUZZ
@given(data=symptom_post)
def test_paula_reports_symptoms_in_the_portal_with_a_message_or_a_clean_save(
    client_for, paula, data
):
    client = client_for(paula.user)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("portal:symptoms"), data)
        report = assert_answered(response, before, SymptomReport)
        if report is not None:
            assert (report.patient, report.source, report.entered_by) == (
                paula,
                "patient",
                paula.user,
            )
            assert_holds(report, SymptomReportForm, data)
            assert_opens(client, response)


passwords = form_data(
    new_password1=sometimes_missing(text_or("a-long-enough-passphrase", "short")),
    new_password2=sometimes_missing(text_or("a-long-enough-passphrase", "short")),
)


@FUZZ
@given(
    uidb64=link_id,
    token=segment,
    data=passwords,
)
def test_a_made_up_invitation_link_is_gone_whatever_it_holds(
    client_for, paula, pete, uidb64, token, data
):
    client = client_for(None)
    url = reverse("patients:invitation_accept", kwargs={"uidb64": uidb64, "token": token})
    with rolled_back():
        before = clinic_counts()
        assert client.get(url).status_code == 410
        assert client.post(url, data).status_code == 410
        assert clinic_counts() == before


@FUZZ
@given(data=passwords)
def test_a_real_invitation_sets_a_valid_password_or_says_what_is_wrong(client_for, paula, data):
    client = client_for(None)
    with rolled_back():
        # As stored: an earlier example's password, rolled back, must not make the token.
        user = User.objects.get(pk=paula.user_id)
        url = reverse(
            "patients:invitation_accept",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": invitation_token.make_token(user),
            },
        )
        before = clinic_counts()
        response = client.post(url, data)
        assert response.status_code in (200, 302)
        user.refresh_from_db()
        if response.status_code == 302:
            assert user.check_password(data["new_password1"])
            assert client.session["_auth_user_id"] == str(user.pk)
        else:
            assert_refused_with_a_message(response, before)
            assert not user.check_password(data.get("new_password1", ""))


SIGNED_UP = ("alice", "paula")  # with the fixtures' password: the one way in


@FUZZ
@given(
    data=form_data(
        username=sometimes_missing(text_or("alice", "ALICE", "paula", "a" * 150, "a" * 151)),
        password=sometimes_missing(text_or("pass-for-tests", "")),
        next=sometimes_missing(text_or("/patients/", "//evil.example/", "javascript:alert(1)")),
    )
)
# Found on PostgreSQL: a name longer than the lockout log's 255-character column.
@example(data={"username": "0" * 256, "password": "pass-for-tests"})
def test_made_up_credentials_never_sign_anyone_in(client_for, alice, paula, data):
    client = client_for(None)
    # Each example is one failed sign-in at most, rolled back: django-axes never locks out.
    reset()
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("login"), data)
        if data.get("username") in SIGNED_UP and data.get("password") == "pass-for-tests":
            assert response.status_code == 302
            return
        assert_refused_with_a_message(response, before)
        assert "_auth_user_id" not in client.session
