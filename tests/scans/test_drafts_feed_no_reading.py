"""A scan not yet released feeds no reading: not the record's, the worklist's, the summary's,
the charts' or the FHIR export's; the record shows its own reading in a block of its own."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from exchange.fhir import patient_bundle
from scans.interpretation import load_record
from scans.models import PatientStatus
from scans.services import status_refresh
from tests.osteoclinic.test_patient_record import scan

D = datetime.date
TODAY = datetime.date.today()
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
STATUS_FIELDS = (
    "category",
    "summary",
    "latest_scan",
    "latest_scan_date",
    "significant_loss",
    "loss_summary",
    "treatment_indicated",
    "treatment_reasons",
    "review_response",
    "response_reasons",
    "next_due",
)


@pytest.fixture(autouse=True)
def on_the_same_day():
    with time_machine.travel(datetime.datetime.combine(TODAY, datetime.time(12)).astimezone()):
        yield


@pytest.fixture
def released_pair(paula, hologic):
    """Two released scans, stable within the scanner's LSC."""
    scan(paula, hologic, D(2021, 5, 4), ("lumbar_spine", "", "0.900", "-1.4"))
    scan(paula, hologic, D(2024, 5, 7), ("lumbar_spine", "", "0.895", "-1.5"))
    status_refresh(patient=paula)
    return paula


def add_draft(patient, device, status="draft"):
    """Between the two: a typing error that would read as osteoporosis and a large loss."""
    return scan(
        patient, device, D(2023, 5, 2), ("lumbar_spine", "", "0.600", "-4.0"), status=status
    )


def what_a_reader_sees(client, alice, patient):
    client.force_login(alice)
    latest = load_record(patient)["reading"].latest
    spine = latest.changes[0]
    status = PatientStatus.objects.filter(patient=patient).values(*STATUS_FIELDS).get()
    worklist = client.get(reverse("home"))
    sections = {
        section.key: sorted(row["patient"].pk for row in section.rows)
        for section in worklist.context["sections"]
        if section.key != "unreleased"
    }
    charts = {
        kind: client.get(reverse("scans:chart", args=[patient.pk, kind]))
        for kind in ("tscore", "bmd")
    }
    summary = client.get(reverse("patient_summary", args=[patient.pk]))
    return {
        "diagnosis": latest.diagnosis.summary,
        "previous": (spine.previous_date, spine.previous.delta_g_cm2, spine.previous.direction),
        "status": status,
        "worklist": sections,
        "charts": {kind: (r["ETag"], r.content) for kind, r in charts.items()},
        "summary_reading": summary.context["reading"].latest.changes[0].previous_date,
        "fhir": patient_bundle(patient, now=NOW),
    }


@pytest.mark.parametrize("status", ["draft", "reviewed"])
def test_a_scan_between_two_released_ones_changes_nothing_in_any_reading(
    client, alice, released_pair, hologic, status
):
    before = what_a_reader_sees(client, alice, released_pair)
    add_draft(released_pair, hologic, status)
    status_refresh(patient=released_pair)
    after = what_a_reader_sees(client, alice, released_pair)
    for part in before:
        assert after[part] == before[part], part
    assert before["previous"][0] == D(2021, 5, 4)
    summary = client.get(reverse("patient_summary", args=[released_pair.pk])).content.decode()
    assert "0.600" not in summary
    assert "Not in this summary: the scan of 2023-05-02, not yet reviewed and released." in summary


def test_a_newest_draft_sets_no_worklist_row_about_loss_thresholds_or_intervals(
    client, alice, paula, hologic
):
    scan(
        paula,
        hologic,
        TODAY - datetime.timedelta(days=3 * 365),
        ("lumbar_spine", "", "0.9", "-1.4"),
    )
    scan(
        paula,
        hologic,
        TODAY - datetime.timedelta(days=2),
        ("lumbar_spine", "", "0.600", "-4.0"),
        status="draft",
    )
    status_refresh(patient=paula)
    client.force_login(alice)
    sections = {s.key: s for s in client.get(reverse("home")).context["sections"]}
    assert [row["patient"] for row in sections["unreleased"].rows] == [paula]
    assert sections["loss"].count == 0 and sections["untreated"].count == 0
    overdue = [row["why"] for row in sections["overdue"].rows]
    last = TODAY - datetime.timedelta(days=3 * 365)
    assert len(overdue) == 1 and overdue[0].endswith(f"(last scan {last:%Y-%m-%d})")
    stored = PatientStatus.objects.get(patient=paula)
    assert (stored.latest_scan_date, stored.significant_loss, stored.category) == (
        last,
        False,
        "low_bone_mass",
    )


def test_the_record_shows_the_draft_in_its_own_block_with_its_own_changes(
    client, alice, released_pair, hologic
):
    draft = add_draft(released_pair, hologic)
    client.force_login(alice)
    response = client.get(reverse("patient_record", args=[released_pair.pk]))
    page = response.content.decode()
    [block] = response.context["drafts"]
    assert block.scan == draft
    [change] = block.changes
    # Against the released scan before it, never against a draft.
    assert change.previous_date == D(2021, 5, 4) and change.previous.direction == "loss"
    start = page.index('data-testid="draft-block"')
    end = page.index("</section>", start)
    shown = page[start:end]
    assert "Draft — not yet reviewed: scan of 2 May 2023" in shown
    assert "vs 2021-05-04" in shown and "Significant loss" in shown
    assert reverse("scans:scan_review", args=[draft.pk]) in shown
    # The interpretation is of the released scans: the latest is of 2024, against 2021.
    reading = page[page.index('id="reading-heading"') :]
    assert "Latest released scan 7 May 2024" in reading
    assert "vs 2023-05-02" not in reading


def test_a_draft_before_any_released_scan_is_read_alone(client, alice, paula, hologic):
    draft = add_draft(paula, hologic)
    record = load_record(paula)
    assert record["reading"].latest is None
    [block] = record["drafts"]
    assert block.scan == draft and block.changes[0].previous is None
    assert block.diagnosis.category == "osteoporosis"


def test_the_record_page_reads_drafts_without_more_queries(
    client, alice, released_pair, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("patient_record", args=[released_pair.pk])
    add_draft(released_pair, hologic)
    with django_assert_max_num_queries(30) as one:
        client.get(url)
    for year in (2019, 2020, 2022):
        scan(
            released_pair,
            hologic,
            D(year, 1, 1),
            ("lumbar_spine", "", "0.9", "-1.4"),
            status="draft",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.get(url)


def test_a_release_changes_the_cached_record_and_worklist(client, alice, released_pair, hologic):
    draft = add_draft(released_pair, hologic)
    client.force_login(alice)
    record_url = reverse("patient_record", args=[released_pair.pk])
    assert "Draft — not yet reviewed" in client.get(record_url).content.decode()
    sections = {s.key: s for s in client.get(reverse("home")).context["sections"]}
    assert sections["unreleased"].count == 1 and sections["loss"].count == 0
    url = reverse("scans:scan_review", args=[draft.pk])
    opened = client.get(url).context["form"]["opened"].value()
    client.post(url, {"action": "release", "opened": opened})
    page = client.get(record_url).content.decode()
    assert "Draft — not yet reviewed" not in page
    assert "vs 2023-05-02" in page, "the 2024 scan is now compared with the released 2023 one"
    sections = {s.key: s for s in client.get(reverse("home")).context["sections"]}
    assert sections["unreleased"].count == 0
