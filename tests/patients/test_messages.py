"""Secure messages: a patient writes from the portal, clinicians read, reply and mark done;
messages are part of the record (access-logged, in the history, never deleted)."""

import re

import pytest
from django.urls import reverse

from outbox.models import Message
from patients.models import AccessLogEntry, MessageSender, SecureMessage
from patients.submissions import TOKEN_FIELD
from tests.conftest import make_user


def token_of(page: str) -> str:
    return re.search(rf'name="{TOKEN_FIELD}" value="([^"]+)"', page).group(1)


def write(client, url: str, subject: str, body: str):
    token = token_of(client.get(url).content.decode())
    return client.post(url, {"subject": subject, "body": body, TOKEN_FIELD: token})


@pytest.fixture
def paula_wrote(paula, client_for):
    client = client_for(paula.user)
    write(client, reverse("portal:messages"), "My new tablets", "Should I take them with food?")
    return SecureMessage.objects.get(patient=paula)


def test_a_patient_writes_to_the_clinic_once_however_often_the_form_is_sent(paula, client_for):
    client = client_for(paula.user)
    url = reverse("portal:messages")
    token = token_of(client.get(url).content.decode())
    data = {
        "subject": "My new tablets",
        "body": "Should I take them with food?",
        TOKEN_FIELD: token,
    }
    first, second = client.post(url, data), client.post(url, data)
    assert first["Location"] == second["Location"] == url
    message = SecureMessage.objects.get()
    assert (message.patient, message.sender, message.author) == (
        paula,
        MessageSender.PATIENT,
        paula.user,
    )
    assert message.author_name == "paula" and not message.on_behalf
    page = client.get(url).content.decode()
    assert "Should I take them with food?" in page and "From you" in page
    assert not Message.objects.exists()  # the clinic is told by its worklist, not by email


def test_an_empty_message_is_refused_next_to_its_field(paula, client_for):
    client = client_for(paula.user)
    response = write(client, reverse("portal:messages"), "Question", "   ")
    assert response.status_code == 200
    assert "Write a message before sending it." in response.content.decode()
    response = write(client, reverse("portal:messages"), "", "Hello")
    assert "Give the message a subject." in response.content.decode()
    assert not SecureMessage.objects.exists()


def inbox_of(client):
    sections = client.get(reverse("home")).context["sections"]
    return next(section for section in sections if section.key == "messages")


def test_the_worklist_counts_unread_and_open_messages_until_marked_done(
    paula_wrote, paula, alice, client_for, django_capture_on_commit_callbacks
):
    client = client_for(alice)
    inbox = inbox_of(client)
    assert inbox.title == "Messages from patients not yet done (1 unread)"
    assert [row["object"] for row in inbox.rows] == [paula_wrote]
    assert "(unread)" in inbox.rows[0]["why"]

    thread = reverse("patients:messages", args=[paula.pk])
    # The worklist is cached: its counters move on when the change commits.
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(thread).content.decode()
    assert "Should I take them with food?" in page and 'value="Re: My new tablets"' in page
    paula_wrote.refresh_from_db()
    assert paula_wrote.read_at is not None
    inbox = inbox_of(client)
    assert inbox.title.endswith("(0 unread)") and inbox.count == 1
    assert "(read, not yet done)" in inbox.rows[0]["why"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("patients:messages_done", args=[paula.pk]))
    assert response["Location"] == thread
    paula_wrote.refresh_from_db()
    assert paula_wrote.done_by == alice and paula_wrote.done_at is not None
    assert inbox_of(client).count == 0


def test_a_reply_is_emailed_as_news_only_and_the_patient_reads_it(
    paula_wrote, paula, alice, client_for
):
    paula.user.email = "paula@example.org"
    paula.user.save()
    client = client_for(alice)
    write(
        client,
        reverse("patients:messages", args=[paula.pk]),
        "Re: My new tablets",
        "Take alendronate with water, 30 minutes before breakfast.",
    )
    reply = SecureMessage.objects.get(sender=MessageSender.CLINIC)
    assert reply.author == alice and reply.read_at is None
    email = Message.objects.get()
    assert email.recipient == "paula@example.org"
    assert email.subject == "You have a new message from the clinic"
    assert "alendronate" not in email.body and "tablets" not in email.body
    assert "http://127.0.0.1:8000/portal/messages/" in email.body

    client = client_for(paula.user)
    page = client.get(reverse("portal:messages")).content.decode()
    assert "Take alendronate with water" in page and ">New<" in page
    reply.refresh_from_db()
    assert reply.read_at is not None
    assert ">New<" not in client.get(reverse("portal:messages")).content.decode()


def test_a_message_written_for_the_patient_by_another_account_says_who_wrote_it(paula):
    helper = make_user("daughter", first_name="Dana", last_name="Fischer")
    message = SecureMessage.objects.create(
        patient=paula,
        sender=MessageSender.PATIENT,
        author=helper,
        author_name="Dana Fischer",
        subject="Mum's appointment",
        body="Can we move it?",
    )
    assert message.on_behalf


def test_messages_are_in_the_history_logged_and_never_deleted(
    paula_wrote, paula, alice, admin_user, client_for
):
    client = client_for(alice)
    client.get(reverse("patients:messages", args=[paula.pk]))
    entry = AccessLogEntry.objects.filter(username="alice").get()
    assert (entry.patient, entry.action) == (paula, "messages")
    history = client.get(reverse("patients:history", args=[paula.pk])).content.decode()
    assert "My new tablets" in history
    assert paula_wrote.history.count() == 2  # written, then read

    client = client_for(admin_user)
    change = reverse("admin:patients_securemessage_change", args=[paula_wrote.pk])
    assert client.get(change).status_code == 200
    delete = reverse("admin:patients_securemessage_delete", args=[paula_wrote.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert SecureMessage.objects.filter(pk=paula_wrote.pk).exists()


def test_the_record_page_shows_the_latest_messages(paula_wrote, paula, alice, client_for):
    page = client_for(alice).get(paula.get_absolute_url()).content.decode()
    assert 'data-testid="messages-panel"' in page
    assert "My new tablets" in page and "Unread" in page


def test_a_patient_never_sees_another_patients_thread(paula_wrote, pete, client_for):
    page = client_for(pete.user).get(reverse("portal:messages")).content.decode()
    assert "My new tablets" not in page and "No messages yet." in page
