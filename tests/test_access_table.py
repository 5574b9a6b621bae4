"""Every URL has a row in the access table, every role gets the answer its row says, and
every view of patient data writes exactly the access-log entries the table says."""

import datetime

import pytest
from django.urls import reverse

from education.models import EducationPage, PatientEducation
from patients.models import AccessLogEntry, SymptomReport
from scans.models import Device, DexaScan, FraxEntry, SiteMeasurement
from tests.access_table import (
    ACCESS,
    ACCESS_LOG,
    ADMIN_LOGIN,
    FORBIDDEN,
    GONE,
    LISTED,
    LOGIN,
    NAMED,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    OWN,
    REDIRECT,
    ROLES,
    checked_import_job,
    uncovered,
)


def test_every_url_pattern_has_a_row():
    assert uncovered() == set(), "add these URL names to tests/access_table.py"


def test_a_url_added_without_a_row_is_caught():
    assert uncovered("tests.urls_with_unlisted_page") == {"forgotten_page"}


def answer_of(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        return REDIRECT
    return {200: OK, 403: FORBIDDEN, 404: NOT_FOUND, 405: NOT_ALLOWED, 410: GONE}.get(
        response.status_code, str(response.status_code)
    )


@pytest.fixture
def world(alice, eddie, admin_user, paula, pete, access_objects):
    people = {
        "anonymous": None,
        "paula": paula.user,
        "pete": pete.user,
        "alice": alice,
        "eddie": eddie,
        "admin": admin_user,
    }
    return {"people": people, "paula": paula, "pete": pete, **access_objects}


@pytest.fixture
def access_objects(paula, alice):
    """Records of paula's that URLs in the table point at."""
    device = Device.objects.create(manufacturer="hologic", model="Horizon A", serial="H-1")
    scan = DexaScan.objects.create(patient=paula, device=device, date=datetime.date(2024, 3, 1))
    SiteMeasurement.objects.create(
        scan=scan, site="lumbar_spine", bmd="0.850", t_score="-1.9", vertebrae="L1-L4"
    )
    frax = FraxEntry.objects.create(
        patient=paula, date=datetime.date(2024, 3, 1), major_osteoporotic="12.0", hip="2.1"
    )
    report = SymptomReport.objects.create(
        patient=paula,
        source="patient",
        pain=7,
        pain_back=True,
        sudden_onset=True,
        red_flags=["sudden_back_pain"],
    )
    attachment = PatientEducation.objects.create(
        patient=paula,
        page=EducationPage.objects.for_patients().first(),
        reason="Your scan showed low bone mass.",
        source="rule",
    )
    return {
        "import_job": checked_import_job(alice),
        "device": device,
        "scan": scan,
        "frax": frax,
        "symptom_report": report,
        "attachment": attachment,
    }


# Lists of patients for finding one: they show names and a one-line reason, not a record, and
# are not logged (each view would write a row for every patient on the page).
UNLOGGED_LISTS = {"home", "patient_list"}


def expected_log(name: str, role: str, answer: str, world) -> list[tuple[int, str]] | None:
    """The (patient, outcome) entries this request must write; None: one per listed patient."""
    kind = ACCESS_LOG.get(name)
    if role == "anonymous" or answer in (LOGIN, ADMIN_LOGIN) or kind is None:
        return []
    if kind == NAMED and answer in (OK, REDIRECT):
        return [(world["paula"].pk, "shown")]
    if kind == NAMED and answer in (FORBIDDEN, NOT_FOUND):
        return [(world["paula"].pk, "refused")]
    if kind == OWN and answer == OK:
        return [(world[role].pk, "shown")]
    if kind == LISTED and answer == OK:
        return None
    return []


def log_problems(name, role, answer, body: bytes, entries, world) -> list[str]:
    expected = expected_log(name, role, answer, world)
    got = sorted(entries)
    if expected is None:
        patients = [patient for patient, _ in got]
        if world["paula"].pk not in patients or len(patients) != len(set(patients)):
            return [f"{role}: expected one entry per listed patient, got {got}"]
        return []
    if got != sorted(expected):
        return [f"{role}: expected log entries {expected}, got {got}"]
    shows_paula = world["paula"].mrn.encode() in body or b"Fischer" in body
    if answer == OK and name not in UNLOGGED_LISTS and not expected and shows_paula:
        return [f"{role}: shows paula's data but writes no access-log entry"]
    return []


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_gets_the_answer_in_its_row(name, world, client_for):
    row = ACCESS[name]
    url = reverse(name, kwargs=row.kwargs(world))
    wrong = []
    for role in ROLES:
        client = client_for(world["people"][role])
        before = AccessLogEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = getattr(client, row.method)(url)
        body = b"".join(response) if response.streaming else response.content
        got = answer_of(response)
        if got != row.expected(role):
            wrong.append(f"{role}: expected {row.expected(role)}, got {got}")
        entries = AccessLogEntry.objects.filter(pk__gt=before).values_list("patient", "outcome")
        wrong += log_problems(name, role, got, body, list(entries), world)
    assert not wrong, f"{name} ({url}): " + "; ".join(wrong)


@pytest.mark.parametrize(
    "name", sorted(name for name, kind in ACCESS_LOG.items() if ACCESS[name].method == "get")
)
def test_a_head_request_is_logged_once_like_a_get(name, world, client_for):
    row = ACCESS[name]
    url = reverse(name, kwargs=row.kwargs(world))
    role = next(role for role in ("paula", "alice", "admin") if row.expected(role) == OK)
    client = client_for(world["people"][role])
    before = AccessLogEntry.objects.count()

    response = client.head(url)

    assert response.status_code == 200 and response.content == b""
    entries = AccessLogEntry.objects.count() - before
    if name == "scans:export_csv":
        assert entries == 0, "a HEAD of the whole clinic's export sends no file: no entries"
    elif ACCESS_LOG[name] == LISTED:
        assert entries == len(set(AccessLogEntry.objects.values_list("patient")[:entries])) > 0
    else:
        assert entries == 1
