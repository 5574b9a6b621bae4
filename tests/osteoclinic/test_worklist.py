"""The worklist: each section shows exactly the patients that qualify, and says why."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from patients.models import Fracture, SecureMessage, SymptomReport, Treatment
from scans.services import status_refresh
from tests.conftest import make_patient
from tests.osteoclinic.test_patient_record import scan

TODAY = datetime.date.today()


@pytest.fixture(autouse=True)
def on_the_same_day():
    """The whole test on TODAY: a run across midnight would move the pages' "today" on."""
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12)).astimezone()):
        yield


D = datetime.date


def days_ago(n: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=n)


@pytest.fixture
def clinic(hologic):
    """One hit and one near miss for every section."""
    people = {
        name: make_patient(f"W-{name}", family_name=name.capitalize())
        for name in (
            "flagged",
            "acknowledged",
            "draft",
            "released",
            "losing",
            "stable",
            "acute",
            "rehab",
            "old",
            "trauma",
            "untreated",
            "treated",
            "overdue",
            "recent",
        )
    }
    SymptomReport.objects.create(
        patient=people["flagged"],
        source="patient",
        pain=7,
        pain_back=True,
        sudden_onset=True,
        red_flags=["sudden_back_pain"],
    )
    SymptomReport.objects.create(
        patient=people["acknowledged"],
        source="patient",
        pain=7,
        red_flags=["fall_or_suspected_fracture"],
        acknowledged_at=datetime.datetime.now(datetime.UTC),
    )
    scan(people["draft"], hologic, days_ago(3), ("lumbar_spine", "", "1.0", "-0.5"), status="draft")
    scan(people["released"], hologic, days_ago(3), ("lumbar_spine", "", "1.0", "-0.5"))
    for name, later in (("losing", "0.850"), ("stable", "0.995")):
        scan(people[name], hologic, days_ago(800), ("lumbar_spine", "", "1.000", "-0.5"))
        scan(people[name], hologic, days_ago(30), ("lumbar_spine", "", later, "-0.6"))
    for name, age in (("acute", 55), ("rehab", 60), ("old", 200)):
        Fracture.objects.create(
            patient=people[name],
            date=days_ago(age),
            site="vertebral",
            vertebral_level="T12",
            mechanism="fragility",
        )
    Fracture.objects.create(
        patient=people["trauma"],
        date=days_ago(10),
        site="vertebral",
        vertebral_level="L2",
        mechanism="high_trauma",
    )
    for name in ("untreated", "treated"):
        scan(people[name], hologic, days_ago(20), ("femoral_neck", "left", "0.558", "-2.5"))
    Treatment.objects.create(
        patient=people["treated"],
        drug_class="bisphosphonate",
        name="Alendronate",
        start=days_ago(10),
    )
    scan(people["overdue"], hologic, days_ago(365 * 3), ("lumbar_spine", "", "1.0", "-0.2"))
    scan(people["recent"], hologic, days_ago(365), ("lumbar_spine", "", "1.0", "-0.2"))
    for patient in people.values():
        status_refresh(patient=patient)
    return people


def section_names(response, key) -> list[str]:
    section = next(s for s in response.context["sections"] if s.key == key)
    return sorted(row["patient"].family_name for row in section.rows)


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("red_flags", ["Flagged"]),
        ("unreleased", ["Draft"]),
        ("loss", ["Losing"]),
        ("acute", ["Acute"]),
        ("rehab", ["Rehab"]),
        ("untreated", ["Untreated"]),
        ("overdue", ["Overdue"]),
    ],
)
def test_each_section_holds_exactly_its_patients(client, alice, clinic, key, expected):
    client.force_login(alice)
    response = client.get(reverse("home"))
    assert section_names(response, key) == expected


def test_rows_say_why_and_link_to_the_record(client, alice, clinic):
    client.force_login(alice)
    page = client.get(reverse("home")).content.decode()
    assert "Sudden back pain (pain 7/10)" in page
    assert "week 8 of the acute phase" in page
    assert "acute phase over (8 weeks); review for gentle rehabilitation" in page
    assert clinic["flagged"].get_absolute_url() in page


def test_acknowledging_and_releasing_from_the_worklist(client, alice, clinic):
    client.force_login(alice)
    report = SymptomReport.objects.get(patient=clinic["flagged"])
    draft = clinic["draft"].scans.get()
    home = reverse("home")
    response = client.post(
        reverse("patients:symptom_acknowledge", args=[report.pk]), {"next": home}
    )
    assert response["Location"] == home
    # The row opens the scan's review page; the release is decided there.
    page = client.get(home).content.decode()
    review = f"{reverse('scans:scan_review', args=[draft.pk])}?next=/"
    assert f'href="{review}"' in page
    assert 'value="release"' not in page, "no release in one click from the worklist"
    opened = client.get(review).context["form"]["opened"].value()
    response = client.post(review, {"action": "release", "opened": opened, "next": home})
    assert response["Location"] == home
    response = client.get(home)
    assert section_names(response, "red_flags") == []
    assert section_names(response, "unreleased") == []


def test_the_worklist_query_count_does_not_grow_with_the_clinic(
    client, alice, clinic, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    # Each section: its count and its first rows; the messages' section its unread count too.
    with django_assert_max_num_queries(28) as few:
        client.get(reverse("home"))
    for index in range(40):
        patient = make_patient(f"M-{index}", family_name=f"More{index:02d}")
        scan(patient, hologic, days_ago(365 * 3), ("lumbar_spine", "", "1.0", "-0.2"))
        scan(patient, hologic, days_ago(5), ("lumbar_spine", "", "0.9", "-1.0"), status="draft")
        SymptomReport.objects.create(
            patient=patient, source="patient", pain=5, red_flags=["height_loss_or_stooping"]
        )
        SecureMessage.objects.create(
            patient=patient, sender="patient", author_name="x", subject="Hello", body="A question"
        )
        status_refresh(patient=patient)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    overdue = next(s for s in response.context["sections"] if s.key == "overdue")
    assert overdue.count == 41 and len(overdue.rows) == 25 and overdue.more == 16
    inbox = next(s for s in response.context["sections"] if s.key == "messages")
    assert inbox.count == 40 and len(inbox.rows) == 25
    assert inbox.title == "Messages from patients not yet done (40 unread)"
