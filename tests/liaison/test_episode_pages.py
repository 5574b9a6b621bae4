"""Clinicians open an FLS episode from a fragility fracture and record each step."""

import datetime

import pytest
from django.db import IntegrityError
from django.urls import reverse

from liaison import services
from liaison.forms import EpisodeOpenForm
from liaison.models import Episode
from patients.models import AccessLogEntry
from tests.liaison.records import episode, fragility_fracture

TODAY = datetime.date.today()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def step_url(item, step: str) -> str:
    return reverse("liaison:episode_step", kwargs={"pk": item.pk, "step": step})


def test_alice_opens_an_episode_from_a_fragility_fracture(alice, paula, client_for):
    fracture = fragility_fracture(paula, ago(20), site="hip")
    client = client_for(alice)
    page = client.get(reverse("liaison:episode_create", kwargs={"pk": paula.pk}))
    assert list(page.context["form"].fields["fracture"].queryset) == [fracture]

    response = client.post(
        reverse("liaison:episode_create", kwargs={"pk": paula.pk}),
        {"fracture": fracture.pk, "identified_by": "ward", "identified_on": f"{ago(18)}"},
    )

    opened = Episode.objects.get()
    assert response["Location"] == opened.get_absolute_url()
    assert (opened.patient, opened.fracture, opened.created_by) == (paula, fracture, alice)
    assert opened.history.count() == 1 and opened.history.get().history_user == alice
    detail = client.get(opened.get_absolute_url())
    assert "Fracture-risk assessment due by" in detail.content.decode()
    record = client.get(paula.get_absolute_url()).content.decode()
    assert f"Hip fracture, {ago(20):%Y-%m-%d}" in record


def test_only_fragility_fractures_without_an_episode_are_offered(alice, paula, client_for):
    taken = episode(paula, ago(50)).fracture
    high = paula.fractures.create(date=ago(30), site="wrist", mechanism="high_trauma")
    response = client_for(alice).post(
        reverse("liaison:episode_create", kwargs={"pk": paula.pk}),
        {"fracture": high.pk, "identified_by": "ward", "identified_on": f"{ago(1)}"},
    )
    form = response.context["form"]
    assert "Choose one of this patient's fragility fractures" in form.errors["fracture"][0]
    assert taken not in form.fields["fracture"].queryset
    assert Episode.objects.count() == 1


def test_a_fracture_dated_to_the_month_or_identified_before_it_is_refused(alice, paula, client_for):
    month_only = fragility_fracture(paula, ago(40), date_precision="month")
    exact = fragility_fracture(paula, ago(40), site="humerus")
    client = client_for(alice)
    url = reverse("liaison:episode_create", kwargs={"pk": paula.pk})
    response = client.post(
        url, {"fracture": month_only.pk, "identified_by": "ward", "identified_on": f"{ago(1)}"}
    )
    assert (
        "edit the fracture to its exact day first" in response.context["form"].errors["fracture"][0]
    )
    response = client.post(
        url, {"fracture": exact.pk, "identified_by": "ward", "identified_on": f"{ago(41)}"}
    )
    assert "identified before it happened" in response.context["form"].errors["identified_on"][0]
    assert Episode.objects.count() == 0


def test_the_assessment_step_needs_its_date_and_the_medication_named(alice, paula, client_for):
    item = episode(paula, ago(30))
    client = client_for(alice)
    response = client.post(
        step_url(item, "assessment"),
        {
            "risk_assessment": "frax",
            "falls_assessment": "referred",
            "medication_plan": "recommended",
        },
    )
    errors = response.context["form"].errors
    assert errors["assessed_on"] == ["Enter the day of the assessment."]
    assert errors["medication_class"] == ["Say which medication is recommended."]
    response = client.post(
        step_url(item, "assessment"),
        {
            "assessed_on": f"{ago(31)}",
            "risk_assessment": "frax",
            "falls_assessment": "referred",
            "medication_plan": "recommended",
            "medication_class": "bisphosphonate",
        },
    )
    assert "before the index fracture" in response.context["form"].errors["assessed_on"][0]

    client.post(
        step_url(item, "assessment"),
        {
            "assessed_on": f"{ago(25)}",
            "risk_assessment": "frax",
            "falls_assessment": "referred",
            "medication_plan": "recommended",
            "medication_class": "bisphosphonate",
        },
    )

    item.refresh_from_db()
    assert (item.assessed_on, item.risk_assessment, item.medication_class) == (
        ago(25),
        "frax",
        "bisphosphonate",
    )
    assert item.history.count() == 2


def test_a_linked_scan_gives_the_dxa_date(alice, paula, paula_scan, client_for):
    item = episode(paula, paula_scan.date - datetime.timedelta(days=10))
    client = client_for(alice)
    wrong_day = paula_scan.date + datetime.timedelta(days=1)
    response = client.post(
        step_url(item, "dxa"),
        {"dxa_plan": "recommended", "dxa_scan": paula_scan.pk, "dxa_on": f"{wrong_day}"},
    )
    assert "The linked scan is of" in response.context["form"].errors["dxa_on"][0]
    client.post(step_url(item, "dxa"), {"dxa_plan": "recommended", "dxa_scan": paula_scan.pk})
    item.refresh_from_db()
    assert (item.dxa_scan, item.dxa_on) == (paula_scan, paula_scan.date)


def test_a_contact_not_made_has_no_answers_and_one_made_needs_its_date(alice, paula, client_for):
    item = episode(paula, ago(120))
    client = client_for(alice)
    response = client.post(
        step_url(item, "contact-16"),
        {"contact_16_made": "false", "contact_16_on_medication": "true"},
    )
    assert (
        "Only a contact that was made"
        in (response.context["form"].errors["contact_16_on_medication"][0])
    )
    response = client.post(step_url(item, "contact-16"), {"contact_16_made": "true"})
    errors = response.context["form"].errors
    assert errors["contact_16_on"] == ["Enter the day of the contact."]
    assert errors["contact_16_by"] == ["Say who made the contact."]
    client.post(
        step_url(item, "contact-16"),
        {
            "contact_16_made": "true",
            "contact_16_on": f"{ago(10)}",
            "contact_16_by": "Nurse Adams",
            "contact_16_on_medication": "true",
            "contact_16_adherent": "false",
            "contact_16_falls": "unknown",
        },
    )
    item.refresh_from_db()
    assert (item.contact_16_made, item.contact_16_adherent, item.contact_16_falls) == (
        True,
        False,
        None,
    )


def test_a_start_date_needs_started_yes(alice, paula, client_for):
    item = episode(paula, ago(60))
    response = client_for(alice).post(
        step_url(item, "started"),
        {"medication_started": "unknown", "medication_started_on": f"{ago(5)}"},
    )
    assert "A start date needs “Yes”" in response.context["form"].errors["medication_started_on"][0]
    item.refresh_from_db()
    assert item.medication_started_on is None


def test_an_unknown_step_is_not_found(alice, paula, client_for):
    item = episode(paula, ago(60))
    assert client_for(alice).get(step_url(item, "surgery")).status_code == 404


def test_entered_in_error_keeps_the_episode_and_its_history(alice, paula, client_for):
    item = episode(paula, ago(60))
    client = client_for(alice)
    response = client.post(
        reverse("liaison:episode_error", kwargs={"pk": item.pk}), {"reason": "wrong patient"}
    )
    assert response["Location"] == paula.get_absolute_url()
    item.refresh_from_db()
    assert item.entered_in_error and item.error_reason == "wrong patient"
    assert item.history.count() == 2
    # It is no longer edited, but still shown with why.
    assert client.get(step_url(item, "assessment")).status_code == 404
    assert (
        "Marked as entered in error: wrong patient"
        in client.get(item.get_absolute_url()).content.decode()
    )
    # The fracture may now be taken on again.
    again = client.get(reverse("liaison:episode_create", kwargs={"pk": paula.pk}))
    assert item.fracture in again.context["form"].fields["fracture"].queryset


def test_viewing_an_episode_writes_the_access_log(alice, paula, client_for):
    item = episode(paula, ago(60))
    client_for(alice).get(item.get_absolute_url())
    entry = AccessLogEntry.objects.get()
    assert (entry.patient, entry.username, entry.path) == (
        paula,
        "alice",
        item.get_absolute_url(),
    )


def test_a_patient_is_refused_an_episode_page_and_the_attempt_is_logged(paula, pete, client_for):
    item = episode(paula, ago(60))
    assert client_for(pete.user).get(item.get_absolute_url()).status_code == 403
    entry = AccessLogEntry.objects.get()
    assert (entry.username, entry.patient, entry.outcome) == ("pete", paula, "refused")


def test_the_database_keeps_one_valid_episode_per_fracture(alice, paula):
    fracture = fragility_fracture(paula, ago(20))
    data = {"fracture": fracture.pk, "identified_by": "ward", "identified_on": f"{ago(1)}"}
    form = EpisodeOpenForm(data, patient=paula)
    assert form.is_valid()
    # Another clinician opens it between this form's check and its save.
    Episode.objects.create(
        patient=paula, fracture=fracture, identified_by="ward", identified_on=ago(1)
    )
    with pytest.raises(IntegrityError):
        services.episode_open(form=form, user=alice)
    assert Episode.objects.count() == 1


def test_calcium_and_vitamin_d_alone_is_not_offered_as_medication(alice, paula, client_for):
    item = episode(paula, ago(30))
    form = client_for(alice).get(step_url(item, "assessment")).context["form"]
    offered = [value for value, _label in form.fields["medication_class"].choices]
    assert "bisphosphonate" in offered and "calcium_vitamin_d" not in offered


def test_the_episode_page_lists_every_change_with_who_made_it(alice, paula, client_for):
    fracture = fragility_fracture(paula, ago(20))
    client = client_for(alice)
    client.post(
        reverse("liaison:episode_create", kwargs={"pk": paula.pk}),
        {"fracture": fracture.pk, "identified_by": "ward", "identified_on": f"{ago(18)}"},
    )
    item = Episode.objects.get()
    client.post(
        step_url(item, "assessment"),
        {"assessed_on": f"{ago(10)}", "risk_assessment": "clinical", "falls_assessment": "done"},
    )
    versions = client.get(item.get_absolute_url()).context["versions"]
    assert [(v["who"], v["changed"]) for v in versions] == [
        ("alice", ["assessment date", "fracture-risk assessment", "falls risk assessment"]),
        ("alice", ["opened"]),
    ]
