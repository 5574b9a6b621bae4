"""Every URL has a row in the access table, and every role gets the answer its row says."""

import datetime

import pytest
from django.urls import reverse

from education.models import EducationPage, PatientEducation
from patients.models import SymptomReport
from scans.import_jobs import pack
from scans.models import Device, DexaScan, FraxEntry, ImportJob, SiteMeasurement
from tests.access_table import (
    ACCESS,
    ADMIN_LOGIN,
    FORBIDDEN,
    GONE,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REDIRECT,
    ROLES,
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
    import_job = ImportJob.objects.create(
        created_by=alice,
        filename="scans.csv",
        size=10,
        date_format="iso",
        data=pack("mrn\n"),
        stage="checked",
        counts={"rows": 1, "errors": 1},
        rejects=pack("mrn,error\nX,mrn: wrong\n"),
    )
    return {
        "import_job": import_job,
        "device": device,
        "scan": scan,
        "frax": frax,
        "symptom_report": report,
        "attachment": attachment,
    }


@pytest.mark.parametrize("name", sorted(ACCESS))
def test_each_role_gets_the_answer_in_its_row(name, world, client_for):
    row = ACCESS[name]
    url = reverse(name, kwargs=row.kwargs(world))
    wrong = []
    for role in ROLES:
        client = client_for(world["people"][role])
        response = getattr(client, row.method)(url)
        got = answer_of(response)
        if got != row.expected(role):
            wrong.append(f"{role}: expected {row.expected(role)}, got {got}")
    assert not wrong, f"{name} ({url}): " + "; ".join(wrong)
