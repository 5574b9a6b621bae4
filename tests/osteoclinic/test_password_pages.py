"""Password change and reset use the clinic's own pages and email, not the admin's."""

import pytest
from django.core import mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_reset_page_is_the_clinics(client):
    page = client.get(reverse("password_reset")).content.decode()
    assert "Enter the email address the clinic has for you" in page
    assert "Django administration" not in page and "OsteoClinic administration" not in page


def test_the_reset_email_is_the_clinics(client, alice):
    client.post(reverse("password_reset"), {"email": "alice@example.org"})
    (email,) = mail.outbox
    assert email.subject == "Reset your OsteoClinic password"
    assert "You asked to reset your OsteoClinic password for the account alice" in email.body


def test_the_reset_done_and_password_change_pages_are_the_clinics(client, alice):
    assert "Check your email" in client.get(reverse("password_reset_done")).content.decode()
    client.force_login(alice)
    page = client.get(reverse("password_change")).content.decode()
    assert "Change your password" in page and "administration" not in page
    assert (
        "Your password was changed" in client.get(reverse("password_change_done")).content.decode()
    )


def test_signing_out_shows_the_clinics_page(client, alice):
    client.force_login(alice)
    page = client.post(reverse("logout"), follow=True).content.decode()
    assert "administration" not in page


def ask_for_reset(client, email="alice@example.org"):
    return client.post(reverse("password_reset"), {"email": email})


def test_reset_emails_to_one_address_are_limited_per_hour(client, alice, settings, time_machine):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 3
    time_machine.move_to("2026-03-01 09:00:00+00:00")
    responses = [ask_for_reset(client, "Alice@Example.org ") for _ in range(5)]
    # The same answer every time: the page never tells whether an address exists.
    assert [r["Location"] for r in responses] == [reverse("password_reset_done")] * 5
    assert len(mail.outbox) == 3
    time_machine.move_to("2026-03-01 10:01:00+00:00")
    ask_for_reset(client)
    assert len(mail.outbox) == 4


def test_reset_requests_from_one_client_are_limited_per_hour(client, alice, settings):
    settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 4
    for n in range(4):
        assert ask_for_reset(client, f"someone{n}@example.org").status_code == 302
    refused = ask_for_reset(client)
    assert refused.status_code == 429
    assert "Too many reset links were asked for from here" in refused.content.decode()
    assert mail.outbox == []


def test_the_client_limit_counts_the_address_behind_the_proxy(client, alice, settings):
    from django.test import Client

    settings.TRUSTED_PROXY_COUNT, settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR = 1, 2
    one = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.1")
    other = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.2")
    assert [ask_for_reset(one, f"x{n}@example.org").status_code for n in range(3)] == [
        302,
        302,
        429,
    ]
    assert ask_for_reset(other).status_code == 302
    assert len(mail.outbox) == 1
