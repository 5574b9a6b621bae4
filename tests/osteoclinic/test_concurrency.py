"""Two clinicians saving the same record: neither change is lost silently."""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from patients.models import Patient
from tests.at_once import post_at_once
from tests.conftest import make_user


def opened_form(client, url) -> dict:
    """The edit form's fields as the browser would post them back."""
    form = client.get(url).context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[form.add_prefix(name)] = "on" if value is True else value
    return data


@pytest.fixture
def bob(db):
    from patients.access import CLINICIANS

    return make_user("bob", CLINICIANS)


def clients_with_the_form_open(alice, bob, url):
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    return first, second, opened_form(first, url), opened_form(second, url)


def test_changes_to_different_fields_are_both_kept(alice, bob, paula):
    url = reverse("patients:edit", args=[paula.pk])
    first, second, alice_form, bob_form = clients_with_the_form_open(alice, bob, url)
    assert first.post(url, {**alice_form, "email": "alice-typed@example.org"}).status_code == 302
    assert second.post(url, {**bob_form, "given_name": "Paulina"}).status_code == 302
    paula.refresh_from_db()
    assert (paula.email, paula.given_name) == ("alice-typed@example.org", "Paulina")


def test_the_same_field_changed_twice_stops_the_second_save_with_a_message(alice, bob, paula):
    url = reverse("patients:edit", args=[paula.pk])
    first, second, alice_form, bob_form = clients_with_the_form_open(alice, bob, url)
    assert first.post(url, {**alice_form, "given_name": "Pauline"}).status_code == 302
    response = second.post(url, {**bob_form, "given_name": "Paulina", "smoking": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "changed by someone else by alice" in page and "both of you changed Given name" in page
    paula.refresh_from_db()
    assert (paula.given_name, paula.smoking) == ("Pauline", False)

    # Bob has reviewed: saving again now is deliberate and keeps his values.
    assert second.post(url, dict(response.context["form"].data.items())).status_code == 302
    paula.refresh_from_db()
    assert (paula.given_name, paula.smoking) == ("Paulina", True)


def test_a_scan_edited_by_two_clinicians_stops_the_second(alice, bob, paula_scan):
    from tests.scans.test_scan_pages import scan_post

    url = reverse("scans:scan_edit", args=[paula_scan.pk])
    first, second = Client(), Client()
    first.force_login(alice)
    second.force_login(bob)
    version = second.get(url).context["form"]["loaded_version"].value()
    first.get(url)
    data = scan_post(
        paula_scan.device,
        date="2023-03-03",
        **{"sites-TOTAL_FORMS": "1", "sites-INITIAL_FORMS": "1"},
    )
    m = paula_scan.measurements.get()
    data.update(
        {
            "sites-0-id": m.pk,
            "sites-0-scan": paula_scan.pk,
            "sites-0-site": "lumbar_spine",
            "sites-0-bmd": "0.822",
            "sites-0-t_score": "-2.6",
            "loaded_version": first.get(url).context["form"]["loaded_version"].value(),
        }
    )
    assert first.post(url, data).status_code == 302
    response = second.post(url, {**data, "loaded_version": version, "operator": "Bob"})
    assert "changed by someone else" in response.content.decode()
    paula_scan.refresh_from_db()
    assert paula_scan.operator == "RT Jones"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("changes", "statuses"),
    [
        # Different fields: both saves go through and both changes are kept.
        ({"alice": {"given_name": "Pauline"}, "bob": {"family_name": "Fisher"}}, [302, 302]),
        # The same field: exactly one save wins, the other is stopped with a message.
        ({"alice": {"given_name": "Pauline"}, "bob": {"given_name": "Paulina"}}, [200, 302]),
    ],
    ids=["different-fields", "same-field"],
)
def test_on_postgresql_two_simultaneous_saves_lose_nothing(alice, bob, paula, changes, statuses):
    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (run with DATABASE_URL).")
    url = reverse("patients:edit", args=[paula.pk])
    clients = {"alice": Client(), "bob": Client()}
    clients["alice"].force_login(alice)
    clients["bob"].force_login(bob)
    forms = {name: opened_form(client, url) for name, client in clients.items()}
    results = post_at_once(
        {name: (client, url, {**forms[name], **changes[name]}) for name, client in clients.items()}
    )
    assert sorted(results.values()) == statuses
    stored = Patient.objects.get(pk=paula.pk)
    expected = {"given_name": "Paula", "family_name": "Fischer"}
    for name in sorted(clients, key=lambda n: results[n] == 302):
        if results[name] == 302:
            expected.update(changes[name])
    assert (stored.given_name, stored.family_name) == (
        expected["given_name"],
        expected["family_name"],
    )
