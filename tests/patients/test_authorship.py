"""Authorship is permanent: the history and the access log keep who it was as text, and an
author's account is deactivated, never deleted."""

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.deletion import ProtectedError
from django.urls import reverse

from patients.models import AccessLogEntry, Patient
from tests.conftest import make_user
from tests.patients.test_history import edit_patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def named_alice(alice):
    alice.first_name, alice.last_name = "Alice", "Meyer"
    alice.save()
    return alice


def test_a_history_row_keeps_its_authors_username_and_name(named_alice, paula, client_for):
    client = client_for(named_alice)
    edit_patient(client, paula, family_name="Fischer-Braun")
    row = paula.history.first()
    assert (row.history_username, row.history_user_name) == ("alice", "Alice Meyer")

    # Even if the link to the account were lost, the history still says who it was.
    Patient.history.update(history_user=None)
    latest = client.get(reverse("patients:history", args=[paula.pk])).context["page"][0]
    assert latest.who == "Alice Meyer (alice)"


def test_an_access_log_entry_keeps_the_name_as_text(named_alice, paula, client_for):
    client_for(named_alice).get(reverse("patient_record", args=[paula.pk]))
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.user_full_name) == ("alice", "Alice Meyer")


def test_imported_history_rows_keep_the_importers_name(named_alice, paula, client_for):
    from tests.exchange.test_import_pages import PAULA_ROW, confirm, csv_text, preview

    client = client_for(named_alice)
    preview(client, csv_text(PAULA_ROW))
    confirm(client)
    scan = paula.scans.get()
    assert scan.history.get().history_user_name == "Alice Meyer"
    assert scan.measurements.get().history.get().history_username == "alice"


def test_an_author_cannot_be_deleted_only_deactivated(named_alice, paula, client_for):
    client_for(named_alice).get(reverse("patient_record", args=[paula.pk]))
    with pytest.raises(ProtectedError), transaction.atomic():
        named_alice.delete()
    assert User.objects.filter(username="alice").exists()


def test_the_admin_offers_deactivation_instead_of_delete(
    named_alice, admin_user, paula, client_for
):
    client_for(named_alice).get(reverse("patient_record", args=[paula.pk]))
    client = client_for(admin_user)

    change = client.get(reverse("admin:auth_user_change", args=[named_alice.pk]))
    assert reverse("admin:auth_user_delete", args=[named_alice.pk]) not in change.content.decode()
    delete = client.post(reverse("admin:auth_user_delete", args=[named_alice.pk]), {"post": "yes"})
    assert delete.status_code == 403

    changelist = reverse("admin:auth_user_changelist")
    assert "delete_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "deactivate", "_selected_action": [named_alice.pk]})
    named_alice.refresh_from_db()
    assert not named_alice.is_active


def test_an_account_that_never_did_anything_can_still_be_deleted(admin_user, client_for):
    mistake = make_user("typo-account")
    client = client_for(admin_user)
    client.post(reverse("admin:auth_user_delete", args=[mistake.pk]), {"post": "yes"})
    assert not User.objects.filter(username="typo-account").exists()
