"""A form sent twice saves once; two people saving the same thing at once get a message."""

import re
import threading

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse

from education.models import PatientEducation
from patients.models import Fracture, Patient, SymptomReport
from patients.submissions import TOKEN_FIELD
from scans.models import DexaScan
from tests.conftest import make_user
from tests.patients.test_fracture_pages import fracture_data
from tests.scans.test_scan_pages import scan_post
from tests.tasks import run_tasks

NEW_PATIENT = {
    "mrn": "MRN-NEW-1",
    "family_name": "Novak",
    "given_name": "Nina",
    "date_of_birth": "1950-05-05",
    "sex": "female",
    "menopause": "post",
}
DIARY_ENTRY = {"pain": "3", "pain_back": "on", "note": ""}


def token_of(client, url) -> str:
    return client.get(url).context["form"][TOKEN_FIELD].value()


@pytest.fixture
def bob(db):
    from patients.access import CLINICIANS

    return make_user("bob", CLINICIANS)


@pytest.mark.django_db
def test_a_fracture_sent_twice_is_stored_once_and_the_second_lands_on_it(alice, paula, client_for):
    client = client_for(alice)
    url = reverse("patients:fracture_create", args=[paula.pk])
    data = {**fracture_data(), TOKEN_FIELD: token_of(client, url)}
    first = client.post(url, data)
    second = client.post(url, data, follow=True)
    assert first["Location"] == paula.get_absolute_url()
    assert second.redirect_chain == [(paula.get_absolute_url(), 302)]
    assert "already been sent: it was saved once" in second.content.decode()
    assert Fracture.objects.filter(patient=paula).count() == 1


@pytest.mark.django_db
def test_each_opening_of_the_form_has_its_own_token(alice, paula, client_for):
    client = client_for(alice)
    url = reverse("patients:fracture_create", args=[paula.pk])
    for _ in range(2):
        client.post(url, {**fracture_data(), TOKEN_FIELD: token_of(client, url)})
    assert Fracture.objects.filter(patient=paula).count() == 2


@pytest.mark.django_db
def test_a_patient_sent_twice_is_added_once(alice, client_for):
    client = client_for(alice)
    url = reverse("patients:create")
    data = {**NEW_PATIENT, TOKEN_FIELD: token_of(client, url)}
    first, second = client.post(url, data), client.post(url, data)
    patient = Patient.objects.get(mrn="MRN-NEW-1")
    assert first["Location"] == second["Location"] == patient.get_absolute_url()


@pytest.mark.django_db
def test_a_scan_sent_twice_is_logged_once(alice, paula, hologic, client_for):
    client = client_for(alice)
    url = reverse("scans:scan_create", args=[paula.pk])
    data = {**scan_post(hologic), TOKEN_FIELD: token_of(client, url)}
    first, second = client.post(url, data), client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert DexaScan.objects.filter(patient=paula).count() == 1


@pytest.mark.django_db
def test_a_diary_entry_sent_twice_is_kept_once(paula, client_for):
    client = client_for(paula.user)
    url = reverse("portal:symptoms")
    data = {**DIARY_ENTRY, TOKEN_FIELD: token_of(client, url)}
    first, second = client.post(url, data), client.post(url, data)
    assert first["Location"] == second["Location"] == url
    assert SymptomReport.objects.filter(patient=paula).count() == 1


@pytest.mark.django_db
def test_an_invitation_sent_twice_makes_one_link(alice, pete, client_for):
    client = client_for(alice)
    page = client.get(pete.get_absolute_url()).content.decode()
    token = re.search(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page).group(1)
    url = reverse("patients:portal_invite", args=[pete.pk])
    first = client.post(url, {TOKEN_FIELD: token})
    second = client.post(url, {TOKEN_FIELD: token})
    assert first.status_code == 200 and "invitation" in first.content.decode().lower()
    assert second["Location"] == pete.get_absolute_url()
    run_tasks()
    assert len(mail.outbox) == (1 if pete.email else 0)
    pete.refresh_from_db()
    assert User.objects.filter(patient=pete).count() == 1


@pytest.mark.django_db
def test_someone_elses_token_saves_afresh_rather_than_showing_their_result(
    alice, bob, paula, client_for
):
    url = reverse("patients:fracture_create", args=[paula.pk])
    alice_client = client_for(alice)
    token = token_of(alice_client, url)
    alice_client.post(url, {**fracture_data(), TOKEN_FIELD: token})
    bob_client = Client()
    bob_client.force_login(bob)
    assert bob_client.post(url, {**fracture_data(), TOKEN_FIELD: token}).status_code == 302
    assert Fracture.objects.filter(patient=paula).count() == 2


# --- Two requests at the same moment (PostgreSQL: two connections) ---------------------------


def at_once(*requests) -> list:
    """Send each (client, url, data) at the same moment; their responses in that order."""
    if connection.vendor != "postgresql":
        pytest.skip("Two connections writing at once need PostgreSQL (run with DATABASE_URL).")
    start, results = threading.Barrier(len(requests)), [None] * len(requests)

    def send(index, client, url, data):
        start.wait()
        try:
            results[index] = client.post(url, data)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=send, args=(index, *request))
        for index, request in enumerate(requests)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def signed_in(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_double_click_on_add_fracture_stores_one(alice, paula):
    client = signed_in(alice)
    url = reverse("patients:fracture_create", args=[paula.pk])
    data = {**fracture_data(), TOKEN_FIELD: token_of(client, url)}
    responses = at_once((client, url, data), (client, url, data))
    assert [r.status_code for r in responses] == [302, 302]
    assert Fracture.objects.filter(patient=paula).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_one_mrn_added_twice_at_once_gets_a_message_not_an_error(alice, bob):
    url = reverse("patients:create")
    alice_client, bob_client = signed_in(alice), signed_in(bob)
    responses = at_once(
        (alice_client, url, {**NEW_PATIENT, TOKEN_FIELD: token_of(alice_client, url)}),
        (bob_client, url, {**NEW_PATIENT, TOKEN_FIELD: token_of(bob_client, url)}),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert "MRN MRN-NEW-1 is already used by Novak, Nina" in refused.content.decode()
    assert Patient.objects.filter(mrn="MRN-NEW-1").count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_one_scan_logged_twice_at_once_gets_a_message(alice, bob, paula, hologic):
    url = reverse("scans:scan_create", args=[paula.pk])
    alice_client, bob_client = signed_in(alice), signed_in(bob)
    responses = at_once(
        (alice_client, url, {**scan_post(hologic), TOKEN_FIELD: token_of(alice_client, url)}),
        (bob_client, url, {**scan_post(hologic), TOKEN_FIELD: token_of(bob_client, url)}),
    )
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200)
    assert "already has a scan on 2024-05-06 on this device" in refused.content.decode()
    assert DexaScan.objects.filter(patient=paula).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_two_invitations_at_once_make_one_account(alice, bob, pete):
    url = reverse("patients:portal_invite", args=[pete.pk])
    responses = at_once((signed_in(alice), url, {}), (signed_in(bob), url, {}))
    assert [r.status_code for r in responses] == [200, 200]
    assert User.objects.filter(patient=pete).count() == 1


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_an_invitation_link_used_twice_at_once_works_once(pete):
    from patients.services import portal_invite

    link = portal_invite(patient=pete, base_url="http://testserver/").link
    path = link.removeprefix("http://testserver")
    password = {"new_password1": "a-long-new-pass-42", "new_password2": "a-long-new-pass-42"}
    responses = at_once((Client(), path, password), (Client(), path, password))
    assert sorted(r.status_code for r in responses) == [302, 410]


@pytest.mark.django_db(transaction=True)
def test_on_postgresql_one_page_attached_twice_at_once_gets_a_message(alice, bob, paula):
    from education.models import Audience, EducationPage, PageStatus

    page = EducationPage.objects.create(
        slug="exercise",
        title="Exercise",
        summary="Move.",
        body="Walk.",
        audience=Audience.PATIENTS,
        status=PageStatus.PUBLISHED,
    )
    url = reverse("education:attach", args=[paula.pk])
    data = {"page": page.pk, "note": ""}
    responses = at_once((signed_in(alice), url, data), (signed_in(bob), url, data))
    assert [r.status_code for r in responses] == [302, 302]
    assert PatientEducation.objects.filter(patient=paula, page=page).count() == 1
