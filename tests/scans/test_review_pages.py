"""Releasing a scan is a review: its page shows the values, the checks of the numbers, its
reading and what releasing changes; the decision is taken there, with a note for the patient."""

import datetime

import pytest
from django.urls import reverse

from patients.models import AccessLogEntry
from scans.interpretation import load_record
from scans.review import Check, release_checks
from tests.osteoclinic.test_patient_record import scan

D = datetime.date


@pytest.fixture
def pending(paula, hologic):
    """A released scan of 2021 and, three years on, a draft with a hip T-score that does not
    fit its BMD (the NHANES III check: BMD 0.400 at the total hip is far below T −1.0)."""
    scan(paula, hologic, D(2021, 5, 4), ("lumbar_spine", "", "0.900", "-1.4"))
    return scan(
        paula,
        hologic,
        D(2024, 5, 7),
        ("lumbar_spine", "", "0.780", "-2.6"),
        ("total_hip", "left", "0.400", "-1.0"),
        status="draft",
    )


def review_url(scan_record, **query):
    url = reverse("scans:scan_review", args=[scan_record.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def opened_on(client, scan_record) -> str:
    return client.get(review_url(scan_record)).context["form"]["opened"].value()


def test_the_review_page_shows_values_checks_reading_and_effects(client, alice, pending):
    client.force_login(alice)
    response = client.get(review_url(pending))
    assert response.status_code == 200
    page = response.content.decode()
    values = page[page.index('data-testid="review-values"') :]
    assert "0.400" in values and "0.780" in values
    checks = page[page.index('data-testid="review-checks"') :]
    assert "Total hip (left)" in checks and "does not fit" in checks.split("</ul>")[0]
    # Its own reading, against the released scan of 2021.
    assert "vs 2021-05-04" in page and "Significant loss" in page
    effects = {e.label: e for e in response.context["effects"]}
    assert effects["Latest released scan"].now == "2021-05-04"
    assert effects["Latest released scan"].after == "2024-05-07"
    assert effects["Significant loss on the latest scan"].after == "Yes"
    assert effects["Diagnosis"].now.startswith("Low bone mass")
    assert effects["Diagnosis"].after.startswith("Osteoporosis")
    assert 'value="release"' in page
    entry = AccessLogEntry.objects.get(patient=pending.patient)
    assert (entry.action, entry.username) == ("scan", "alice")


def test_the_checks_come_from_one_place_the_review_page_shows(alice, pending):
    reading = load_record(pending.patient)["drafts"][0]
    checks = release_checks(reading)
    assert checks and all(isinstance(check, Check) for check in checks)
    assert [check.text for check in checks] == list(reading.warnings)
    assert release_checks(None) == ()


def test_release_with_a_note_records_who_when_and_shows_the_note_in_the_portal(
    client, alice, pending
):
    # The portal's parts are cached: the release must give them a new version.
    client.force_login(pending.patient.user)
    assert "Scan of 4 May 2021" in client.get(reverse("portal:home")).content.decode()
    client.force_login(alice)
    opened = opened_on(client, pending)
    note = "Your spine has lost bone since 2021.\nWe will discuss treatment at your visit."
    response = client.post(
        review_url(pending), {"action": "release", "opened": opened, "patient_note": note}
    )
    assert response["Location"] == pending.patient.get_absolute_url()
    pending.refresh_from_db()
    assert (pending.status, pending.reviewed_by, pending.patient_note) == ("released", alice, note)
    assert pending.reviewed_at is not None
    client.force_login(pending.patient.user)
    portal = client.get(reverse("portal:home")).content.decode()
    start = portal.index('data-testid="plain-result"')
    beside = portal[start : portal.index("</section>", start)]
    assert "Scan of 7 May 2024" in portal
    assert "A note from your clinician about this result" in beside
    assert "Your spine has lost bone since 2021.<br>We will discuss treatment" in beside
    assert "{#" not in portal and "osteoclinic.fragments" not in portal, "no template comment"


def test_a_note_on_a_scan_not_released_never_reaches_the_portal(client, alice, pending):
    client.force_login(alice)
    opened = opened_on(client, pending)
    client.post(
        review_url(pending),
        {"action": "review", "opened": opened, "patient_note": "Secret until released"},
    )
    pending.refresh_from_db()
    assert (pending.status, pending.patient_note) == ("reviewed", "Secret until released")
    client.force_login(pending.patient.user)
    assert "Secret until released" not in client.get(reverse("portal:home")).content.decode()


def test_a_release_without_opening_the_review_page_is_refused(client, alice, pending):
    client.force_login(alice)
    response = client.post(review_url(pending), {"action": "release"})
    assert response.status_code == 200
    assert "Open the scan&#x27;s review page and release it from there" in (
        response.content.decode()
    )
    pending.refresh_from_db()
    assert pending.status == "draft" and pending.reviewed_by is None


def test_a_scan_changed_since_the_page_was_opened_is_not_released(client, alice, pending):
    client.force_login(alice)
    opened = opened_on(client, pending)
    # Someone corrects the scan meanwhile.
    pending.operator = "Corrected"
    pending.save()
    response = client.post(review_url(pending), {"action": "release", "opened": opened})
    assert response.status_code == 200
    assert "This scan was changed since you opened this page: nothing was released." in (
        response.content.decode()
    )
    pending.refresh_from_db()
    assert pending.status == "draft"
    # The page now carries the stored version: deciding again, on what is shown, releases.
    again = response.context["form"]["opened"].value()
    client.post(review_url(pending), {"action": "release", "opened": again})
    pending.refresh_from_db()
    assert pending.status == "released"


def test_a_released_scan_shows_its_note_and_no_decision(client, alice, pending):
    client.force_login(alice)
    client.post(
        review_url(pending),
        {"action": "release", "opened": opened_on(client, pending), "patient_note": "All good"},
    )
    page = client.get(review_url(pending)).content.decode()
    assert "This scan is released" in page and "All good" in page
    assert 'value="release"' not in page


def test_the_review_page_returns_to_the_worklist_it_came_from(client, alice, pending):
    client.force_login(alice)
    url = review_url(pending, next="/")
    opened = client.get(url).context["form"]["opened"].value()
    response = client.post(url, {"action": "release", "opened": opened, "next": "/"})
    assert response["Location"] == "/"


def test_the_scan_page_links_to_the_review_instead_of_releasing(client, alice, pending):
    client.force_login(alice)
    page = client.get(reverse("scans:scan_detail", args=[pending.pk])).content.decode()
    assert review_url(pending) in page and 'value="release"' not in page
    assert "Draft — not yet reviewed: reading of this scan" in page


def test_the_review_page_query_count_does_not_grow_with_scans(
    client, alice, pending, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(30) as few:
        client.get(review_url(pending))
    for year in range(2010, 2020):
        scan(pending.patient, hologic, D(year, 1, 1), ("lumbar_spine", "", "0.9", "-1.4"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(review_url(pending))


@pytest.mark.parametrize("who", ["paula", "pete", "eddie"])
def test_no_one_but_a_clinician_can_release(client, pending, pete, eddie, who):
    user = {"paula": pending.patient.user, "pete": pete.user, "eddie": eddie}[who]
    client.force_login(user)
    response = client.post(review_url(pending), {"action": "release", "opened": "x"})
    assert response.status_code == 403
    pending.refresh_from_db()
    assert pending.status == "draft"
