"""The patient list filters on the reading of each patient's latest scan."""

import datetime

import pytest
from django.urls import reverse

from scans.services import status_refresh
from tests.conftest import make_patient
from tests.osteoclinic.test_patient_record import scan

D = datetime.date


@pytest.fixture
def clinic(hologic):
    """One patient per reading: osteoporosis with loss, low bone mass, normal, and no scan."""
    porotic = make_patient("P-1", family_name="Porotic")
    scan(porotic, hologic, D(2020, 1, 1), ("lumbar_spine", "", "0.900", "-2.3"))
    scan(porotic, hologic, D(2022, 1, 1), ("lumbar_spine", "", "0.800", "-2.8"))
    low = make_patient("P-2", family_name="Lowmass")
    scan(low, hologic, D(2025, 6, 1), ("lumbar_spine", "", "0.950", "-1.4"))
    normal = make_patient("P-3", family_name="Normal")
    scan(normal, hologic, D(2025, 6, 1), ("lumbar_spine", "", "1.050", "-0.2"))
    make_patient("P-4", family_name="Noscan")
    from patients.models import Patient

    for patient in Patient.objects.all():
        status_refresh(patient=patient)


def names(client, **query) -> list[str]:
    response = client.get(reverse("patient_list"), query)
    return [p.family_name for p in response.context["page"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"category": "osteoporosis"}, ["Porotic"]),
        ({"category": "low_bone_mass"}, ["Lowmass"]),
        ({"category": "normal"}, ["Normal"]),
        ({"category": "none"}, ["Noscan"]),
        ({"significant_loss": "on"}, ["Porotic"]),
        ({"overdue": "on"}, ["Porotic"]),
        ({}, ["Lowmass", "Normal", "Noscan", "Porotic"]),
    ],
)
def test_each_filter_keeps_exactly_the_patients_it_names(client, alice, clinic, query, expected):
    client.force_login(alice)
    assert names(client, **query) == expected


def test_the_list_shows_the_latest_reading_and_overdue(client, alice, clinic):
    client.force_login(alice)
    page = client.get(reverse("patient_list")).content.decode()
    assert "2022-01-01: Osteoporosis" in page
    assert "Significant loss" in page and "Overdue" in page


def test_the_list_query_count_does_not_grow_with_patients(
    client, alice, clinic, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("patient_list"))
    for index in range(30):
        patient = make_patient(f"X-{index}", family_name=f"Extra{index:02d}")
        scan(patient, hologic, D(2025, 1, 1), ("lumbar_spine", "", "0.9", "-1.5"))
        status_refresh(patient=patient)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("patient_list"))
