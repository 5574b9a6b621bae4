"""Sign in, sign out, the role shown in the header, and navigation per role."""

import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_alice_signs_in_and_sees_who_she_is(client, alice):
    response = client.post(
        reverse("login"), {"username": "alice", "password": "pass-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("home")
    page = response.content.decode()
    assert "Signed in as <strong>alice</strong> (Clinician)" in page
    assert reverse("patient_list") in page


@pytest.mark.django_db
def test_a_wrong_password_says_so_and_signs_nobody_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_paula_sees_no_clinician_navigation(client, paula):
    client.force_login(paula.user)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "(Patient)" in page
    assert reverse("patient_list") not in page
    assert reverse("admin:index") not in page


@pytest.mark.django_db
def test_eddie_is_offered_the_page_editor_and_no_patients(client, eddie):
    client.force_login(eddie)
    page = client.get(reverse("home")).content.decode()
    assert "(Education editor)" in page
    assert reverse("admin:index") in page
    assert reverse("patient_list") not in page


@pytest.mark.django_db
def test_signing_out_ends_the_session(client, alice):
    client.force_login(alice)
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


@pytest.mark.django_db
def test_a_user_with_no_role_is_told_to_contact_the_clinic(client, nobody):
    client.force_login(nobody)
    response = client.get(reverse("home"))
    assert response.status_code == 403
    assert "contact the clinic" in response.content.decode()


def test_pages_load_bootstrap_from_our_own_static_files(client):
    page = client.get(reverse("login")).content.decode()
    assert "/static/vendor/bootstrap-5.3.8/bootstrap.min.css" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page
