"""Cached page parts: a change shows at once, each browser gets its own CSRF token, and a
repeat view costs fewer queries."""

import datetime
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from osteoclinic import fragments
from patients.models import Fracture, HeightMeasurement, Patient, SymptomReport
from scans.models import FraxEntry
from scans.services import status_refresh
from tests.conftest import make_patient, make_user
from tests.osteoclinic.test_patient_record import scan

HOME = reverse("home")
LIST = reverse("patient_list")
TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def on_the_same_day():
    """The whole test on TODAY: a run across midnight would move the pages' "today" on."""
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12)).astimezone()):
        yield


@pytest.fixture
def flagged(db):
    patient = make_patient("F-1", family_name="Flagged")
    SymptomReport.objects.create(
        patient=patient, source="patient", pain=8, red_flags=["sudden_back_pain"]
    )
    return patient


def test_the_worklist_shows_each_change_made_after_it_was_cached(client, alice, flagged, hologic):
    client.force_login(alice)

    def section(key: str) -> str:
        page = client.get(HOME).content.decode()
        start = page.index(f'<section class="card mb-3" id="{key}"')
        return page[start : page.index("</section>", start)]

    assert "Flagged" in section("red_flags")
    report = flagged.symptom_reports.get()
    client.post(reverse("patients:symptom_acknowledge", args=[report.pk]), {"next": HOME})
    assert "Flagged" not in section("red_flags")

    Fracture.objects.create(
        patient=flagged,
        site="vertebral",
        vertebral_level="L1",
        mechanism="fragility",
        date=TODAY - datetime.timedelta(days=3),
    )
    assert "Flagged" in section("acute")

    draft = scan(flagged, hologic, TODAY, ("lumbar_spine", "", "0.900", "-1.5"), status="draft")
    assert f"Scan of {TODAY:%Y-%m-%d} is draft" in section("unreleased")
    draft.status = "reviewed"
    draft.save()
    assert f"Scan of {TODAY:%Y-%m-%d} is reviewed" in section("unreleased")

    flagged.family_name = "Renamed"
    flagged.save()
    assert "Renamed" in section("acute")


def test_a_bulk_write_shows_once_the_readings_are_refreshed(client, alice, flagged):
    client.force_login(alice)
    assert "Flagged" in client.get(LIST).content.decode()
    # A queryset update writes no history; the refresh of the readings that follows it does.
    Patient.objects.filter(pk=flagged.pk).update(family_name="Renamed")
    status_refresh(patient=flagged)
    page = client.get(LIST).content.decode()
    assert "Renamed" in page and "Flagged" not in page


def test_a_cached_worklist_carries_each_browsers_own_csrf_token(alice, flagged):
    bob = make_user("bob", *alice.groups.values_list("name", flat=True))
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.force_login(alice)
    second.force_login(bob)
    first.get(HOME)
    page = second.get(HOME).content.decode()

    assert fragments.CSRF_MARK not in page
    action = reverse("patients:symptom_acknowledge", args=[flagged.symptom_reports.get().pk])
    form = page[page.index(f'action="{action}"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = second.post(action, {"csrfmiddlewaretoken": token, "next": HOME})
    assert response.status_code == 302
    assert flagged.symptom_reports.get().acknowledged_by == bob


@pytest.mark.parametrize("url", [HOME, LIST, f"{LIST}?category=osteoporosis&sort=-dob"])
def test_a_repeat_view_is_served_from_the_cache_in_fewer_queries(
    client, alice, flagged, url, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(30) as first:
        client.get(url)
    # Session, user, groups and the clinic's version; nothing of the records themselves. The
    # worklist also counts the inbound results waiting (outside its cached part).
    with django_assert_max_num_queries(5 if url == HOME else 4) as repeat:
        response = client.get(url)
    assert len(repeat.captured_queries) < len(first.captured_queries)
    assert response.status_code == 200


def test_a_different_search_is_not_served_another_ones_page(client, alice, flagged):
    make_patient("F-3", family_name="Other")
    client.force_login(alice)
    assert "Other" in client.get(LIST).content.decode()
    page = client.get(LIST, {"q": "Flagged"}).content.decode()
    assert "Flagged" in page and "Other" not in page


def test_the_record_page_shows_each_change_made_after_it_was_cached(client, alice, paula, hologic):
    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])
    first = scan(paula, hologic, datetime.date(2023, 5, 1), ("lumbar_spine", "", "0.912", "-1.6"))

    def page() -> str:
        return client.get(url).content.decode()

    assert "0.912" in page()
    measurement = first.measurements.get()
    measurement.bmd = "0.899"
    measurement.save()
    assert "0.899" in page()

    HeightMeasurement.objects.create(patient=paula, date=TODAY, cm="158.4")
    assert "158.4" in page()
    FraxEntry.objects.create(patient=paula, date=TODAY, major_osteoporotic="21.5", hip="3.5")
    assert "major osteoporotic 21.5%" in page()
    paula.given_name = "Paulina"
    paula.save()
    assert "Fischer, Paulina" in page()
    hologic.serial = "HZ-200"
    hologic.save()
    assert "#HZ-200" in page()


def test_the_record_pages_fresh_part_is_never_cached(client, alice, paula):
    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])
    client.get(url)
    # A queryset update writes no history: only a part read afresh can show it.
    report = SymptomReport.objects.create(patient=paula, source="patient", pain=4)
    SymptomReport.objects.filter(pk=report.pk).update(pain=6)
    assert "6/10" in client.get(url).content.decode()


def test_the_portal_shows_a_newly_released_scan_at_once(client, paula, hologic):
    client.force_login(paula.user)
    url = reverse("portal:home")
    draft = scan(paula, hologic, TODAY, ("lumbar_spine", "", "0.700", "-3.1"), status="draft")
    assert "-3.1" not in client.get(url).content.decode()
    draft.status = "released"
    draft.save()
    page = client.get(url).content.decode()
    assert f"Scan of {TODAY:%-d %B %Y}" in page
    assert page.count("<section") == page.count("</section>")


def test_the_record_pages_education_panel_shows_each_change(client, alice, paula):
    from education.models import EducationPage, PatientEducation
    from education.services import education_attach, education_detach, education_mark_viewed

    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])

    def panel() -> str:
        page = client.get(url).content.decode()
        start = page.index('id="education"')
        return page[start : page.index("</section>", start)]

    first = EducationPage.objects.for_patients().order_by("order", "pk").first()
    assert "Not yet viewed" not in panel()
    attachment = education_attach(patient=paula, page=first, user=alice)
    assert first.title in panel() and "Not yet viewed" in panel()
    viewed = education_mark_viewed(attachment=attachment).first_viewed_at
    assert f"First viewed {timezone.localdate(viewed):%Y-%m-%d}" in panel()
    first.title = "A clearer title"
    first.save()
    assert "A clearer title" in panel()
    education_detach(attachment=PatientEducation.objects.get(pk=attachment.pk), user=alice)
    assert "Detached" in panel()
