"""The top of the record says what needs doing now; red flags come most urgent first and are
acknowledged with an optional note that is stored, shown and kept in the history."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Fracture, SymptomReport
from patients.services import symptom_report_record
from scans.services import status_refresh
from tests.osteoclinic.test_patient_record import scan

pytestmark = pytest.mark.django_db
D = datetime.date


def report(patient, user, days_ago: int, **answers) -> SymptomReport:
    entry = SymptomReport(
        patient=patient,
        source="patient",
        reported_at=timezone.now() - datetime.timedelta(days=days_ago),
        **{"pain": 5, "pain_back": True, **answers},
    )
    return symptom_report_record(report=entry, user=user)


@pytest.fixture
def flagged(paula):
    """Three reports with red flags: an older sudden back pain, a newer pain affecting sleep,
    and a fall in between; one report without a flag."""
    user = paula.user
    return {
        "sleep_new": report(paula, user, 1, affects_sleep_or_daily_life=True),
        "fall": report(paula, user, 3, fall_since_last_report=True),
        "sudden_old": report(paula, user, 9, sudden_onset=True),
        "quiet": report(paula, user, 2, pain=1),
    }


def record(client, alice, patient) -> str:
    client.force_login(alice)
    return client.get(reverse("patient_record", args=[patient.pk])).content.decode()


def needs_action(page: str) -> str:
    start = page.index('data-testid="needs-action"')
    return page[start : page.index("</section>", start)]


def test_red_flags_are_listed_most_urgent_first_then_newest(client, alice, paula, flagged):
    top = needs_action(record(client, alice, paula))
    newest_first = [flagged[name] for name in ("sleep_new", "fall", "sudden_old")]
    order = [top.index(f"reported {r.reported_at:%Y-%m-%d}") for r in newest_first]
    # Sudden back pain (oldest) before the fall before the newest pain affecting sleep.
    assert top.index("Sudden back pain") < top.index("Fall or suspected fracture")
    assert top.index("Fall or suspected fracture") < top.index("Pain affecting sleep")
    assert sorted(order) != order  # the newest report is not first: urgency wins
    assert top.count('data-testid="action-red-flag"') == 3


def test_the_worklist_lists_red_flags_most_urgent_first(client, alice, paula, pete, flagged):
    report(pete, pete.user, 0, height_loss_or_stooping=True)
    client.force_login(alice)
    section = client.get(reverse("home")).content.decode()
    start = section.index('data-testid="section-red_flags"')
    rows = section[start : section.index("</table>", start)]
    found = [
        rows.index(label)
        for label in ("Sudden back pain", "Fall or suspected fracture", "Height loss or stooping")
    ]
    assert found == sorted(found)
    assert rows.index("Height loss or stooping") < rows.index("Pain affecting sleep")
    assert "most urgent first" in section


def test_acknowledging_with_a_note_stores_it_shows_it_and_keeps_it_in_the_history(
    client, alice, paula, flagged
):
    sudden = flagged["sudden_old"]
    client.force_login(alice)
    response = client.post(
        reverse("patients:symptom_acknowledge", args=[sudden.pk]),
        {"note": "  Phoned her; spine X-ray booked.  "},
    )
    assert response.status_code == 302

    sudden.refresh_from_db()
    assert sudden.acknowledged_by == alice and sudden.acknowledged_at is not None
    assert sudden.acknowledgement_note == "Phoned her; spine X-ray booked."
    page = record(client, alice, paula)
    assert "Sudden back pain" not in needs_action(page)
    assert "Note on acknowledging:</strong> Phoned her; spine X-ray booked." in page
    history = client.get(reverse("patients:history", args=[paula.pk])).content.decode()
    assert "Phoned her; spine X-ray booked." in history


def test_acknowledging_without_a_note_is_one_click(client, alice, paula, flagged):
    client.force_login(alice)
    client.post(reverse("patients:symptom_acknowledge", args=[flagged["fall"].pk]))
    flagged["fall"].refresh_from_db()
    assert flagged["fall"].acknowledged_at is not None
    assert flagged["fall"].acknowledgement_note == ""


def test_a_note_too_long_is_refused_beside_the_field_and_nothing_is_acknowledged(
    client, alice, paula, flagged
):
    client.force_login(alice)
    response = client.post(
        reverse("patients:symptom_acknowledge", args=[flagged["fall"].pk]), {"note": "x" * 1001}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Keep the note under 1000 characters (it has 1001)" in page
    assert "x" * 1001 in page  # what was typed is not lost
    flagged["fall"].refresh_from_db()
    assert flagged["fall"].acknowledged_at is None


def test_a_second_acknowledgement_keeps_the_first_note(client, alice, paula, flagged):
    client.force_login(alice)
    url = reverse("patients:symptom_acknowledge", args=[flagged["fall"].pk])
    client.post(url, {"note": "First."})
    client.post(url, {"note": "Second."})
    flagged["fall"].refresh_from_db()
    assert flagged["fall"].acknowledgement_note == "First."


def test_the_header_lists_waiting_scans_an_acute_vertebral_fracture_and_an_overdue_scan(
    client, alice, paula, hologic
):
    today = timezone.localdate()
    scan(paula, hologic, D(2019, 1, 10), ("lumbar_spine", "", "0.800", "-2.6"))
    draft = scan(paula, hologic, today, ("lumbar_spine", "", "0.790", "-2.7"), status="draft")
    Fracture.objects.create(
        patient=paula,
        date=today - datetime.timedelta(days=20),
        site="vertebral",
        vertebral_level="L1",
        mechanism="fragility",
        brace=True,
    )
    status_refresh(patient=paula)

    top = needs_action(record(client, alice, paula))

    assert "Needs action now" in top
    assert f"Scan of {today:%Y-%m-%d}</strong> is draft" in top
    assert reverse("scans:scan_review", args=[draft.pk]) in top
    assert "week 3 of the acute phase (brace prescribed)" in top
    assert re.search(r"Scan overdue</strong>: the next scan was due \d{4}-\d{2}-\d{2}", top)


def test_a_record_with_nothing_to_do_says_so(client, alice, paula):
    top = needs_action(record(client, alice, paula))
    assert "Nothing needs action now" in top and "<li" not in top


def test_the_contents_list_links_to_every_section_on_the_page(client, alice, paula):
    page = record(client, alice, paula)
    start = page.index('data-testid="record-contents"')
    contents = page[start : page.index("</nav>", start)]
    anchors = re.findall(r'href="#([^"]+)"', contents)
    assert len(anchors) >= 10
    for anchor in anchors:
        assert f'id="{anchor}"' in page, anchor
