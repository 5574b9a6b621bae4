"""Lockout after guessing, idle sign-out for staff, and the security headers on every page."""

import pytest
from django.urls import reverse


def sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_with_a_clear_message(client, alice):
    for _ in range(4):
        response = sign_in(client, "alice", "wrong-guess")
        assert "Please enter a correct username and password" in response.content.decode()
    response = sign_in(client, "alice", "wrong-guess")
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password is refused until the cool-off time has passed.
    sign_in(client, "alice", "pass-for-tests")
    assert "_auth_user_id" not in client.session


def test_the_lockout_ends_after_the_cool_off(client, alice, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00")
    for _ in range(5):
        sign_in(client, "alice", "wrong-guess")
    time_machine.move_to("2026-03-01 09:16:00+00:00")
    sign_in(client, "alice", "pass-for-tests")
    assert "_auth_user_id" in client.session


def test_a_clinician_idle_for_longer_than_the_setting_is_signed_out(
    client, alice, settings, time_machine
):
    settings.SESSION_IDLE_MINUTES = 30
    time_machine.move_to("2026-03-01 09:00:00+00:00")
    client.force_login(alice)
    assert client.get(reverse("patient_list")).status_code == 200
    time_machine.move_to("2026-03-01 09:29:00+00:00")
    assert client.get(reverse("patient_list")).status_code == 200
    time_machine.move_to("2026-03-01 10:00:00+00:00")
    response = client.get(reverse("patient_list"), follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "signed out after a period of inactivity" in response.content.decode()


def test_a_patient_is_not_signed_out_by_the_staff_idle_timeout(client, paula, time_machine):
    time_machine.move_to("2026-03-01 09:00:00+00:00")
    client.force_login(paula.user)
    time_machine.move_to("2026-03-01 11:00:00+00:00")
    assert client.get(reverse("portal:home")).status_code == 200


@pytest.mark.parametrize("url_name", ["login", "home", "patient_list"])
def test_every_page_carries_the_security_headers(client, alice, url_name):
    client.force_login(alice)
    response = client.get(reverse(url_name))
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_template_uses_inline_script_or_handlers(client, alice, paula):
    client.force_login(alice)
    for url in (reverse("home"), reverse("patient_list"), paula.get_absolute_url()):
        page = client.get(url).content.decode()
        assert "<script>" not in page and " onclick=" not in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short7", "This password is too short"),
        ("password123", "This password is too common"),
        ("83927461058", "This password is entirely numeric"),
    ],
)
def test_weak_passwords_are_refused_when_changing_one(client, alice, password, message):
    client.force_login(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": "pass-for-tests", "new_password1": password, "new_password2": password},
    )
    assert message in response.content.decode()
    alice.refresh_from_db()
    assert alice.check_password("pass-for-tests")


@pytest.mark.parametrize("url_name", ["login", "admin:login"])
def test_an_over_long_username_is_refused_like_a_wrong_one(client, url_name):
    response = client.post(reverse(url_name), {"username": "x" * 300, "password": "whatever"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
