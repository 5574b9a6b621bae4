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
