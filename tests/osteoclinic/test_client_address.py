"""The client's address behind trusted proxies, for the sign-in lockout and the access log."""

import pytest
from django.test import Client
from django.urls import reverse

from patients.models import AccessLogEntry

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"


def from_client(address: str) -> Client:
    """A browser whose requests reach the app through the proxy, which appends its address."""
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"198.51.100.7, {address}")


def wrong_passwords(client, times=5):
    for _ in range(times):
        client.post(reverse("login"), {"username": "alice", "password": "wrong-guess"})


def signs_in(client) -> bool:
    client.post(reverse("login"), {"username": "alice", "password": "pass-for-tests"})
    return "_auth_user_id" in client.session


def test_behind_one_proxy_one_clients_wrong_passwords_do_not_lock_out_another(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    wrong_passwords(from_client("203.0.113.1"))
    assert not signs_in(from_client("203.0.113.1"))
    assert signs_in(from_client("203.0.113.2"))


def test_without_a_proxy_a_forged_header_does_not_escape_the_lockout(alice, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    wrong_passwords(from_client("203.0.113.1"))
    assert not signs_in(from_client("203.0.113.2"))  # same connection address: still locked


def test_the_access_log_records_the_address_the_proxy_saw(alice, paula, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = from_client("203.0.113.9")
    client.force_login(alice)
    client.get(paula.get_absolute_url())
    assert AccessLogEntry.objects.get().ip_address == "203.0.113.9"


def test_without_a_proxy_the_access_log_ignores_the_header(alice, paula, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    client = from_client("203.0.113.9")
    client.force_login(alice)
    client.get(paula.get_absolute_url())
    assert AccessLogEntry.objects.get().ip_address == PROXY


def test_a_request_that_skipped_the_proxies_uses_its_own_address(alice, paula, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    client = from_client("203.0.113.9")  # two entries: enough
    client.force_login(alice)
    client.get(paula.get_absolute_url())
    direct = Client(REMOTE_ADDR="192.0.2.44", HTTP_X_FORWARDED_FOR="not-an-address")
    direct.force_login(alice)
    direct.get(paula.get_absolute_url())
    assert list(AccessLogEntry.objects.order_by("pk").values_list("ip_address", flat=True)) == [
        "198.51.100.7",
        "192.0.2.44",
    ]
