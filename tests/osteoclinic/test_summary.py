"""The printable summary for the referrer: signed by the releasing clinician, dated, with the
reading, the changes since the previous scan and the recommendations; released results only."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from patients.models import Treatment
from scans.models import DexaScan
from tests.osteoclinic.test_patient_record import scan

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def paula_reported(paula, hologic, alice):
    alice.first_name, alice.last_name = "Alice", "Moreau"
    alice.save()
    scan(paula, hologic, D(2022, 6, 14), ("lumbar_spine", "", "0.842", "-2.0"))
    latest = scan(paula, hologic, D(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    released = timezone.make_aware(datetime.datetime(2024, 6, 20, 10, 30))
    DexaScan.objects.filter(pk=latest.pk).update(reviewed_by=alice, reviewed_at=released)
    scan(paula, hologic, D(2025, 6, 18), ("lumbar_spine", "", "0.700", "-3.4"), status="draft")
    return paula


def summary(client, alice, patient) -> str:
    client.force_login(alice)
    response = client.get(reverse("patient_summary", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_is_signed_by_the_releasing_clinician_and_dated(client, alice, paula_reported):
    page = summary(client, alice, paula_reported)
    assert "Reported and released by <strong>Alice Moreau</strong> on 2024-06-20." in page
    assert "Report date 2024-06-20, on the scan of 2024-06-18" in page
    assert f"printed {timezone.localdate():%Y-%m-%d}" in page


def test_it_holds_the_reading_the_changes_and_the_recommendations(client, alice, paula_reported):
    page = summary(client, alice, paula_reported)
    assert "<h2>Reading</h2>" in page
    assert "Osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4." in page
    assert "Results and changes since the previous scan" in page
    assert "−0.070 (−8.3%) vs 2022-06-14" in page
    recommendations = page[page.index('data-testid="recommendations"') :]
    recommendations = recommendations[: recommendations.index("</div>")]
    assert "Treatment consideration:" in recommendations
    assert "Vertebral fracture assessment (VFA)" in recommendations
    assert "Next scan due:</strong> 2026-06-18" in recommendations


def test_only_released_results_are_in_it(client, alice, paula_reported):
    page = summary(client, alice, paula_reported)
    assert "0.700" not in page and "−3.4" not in page
    assert "Not in this summary: the scan of 2025-06-18, not yet reviewed and released." in page


def test_treatment_response_replaces_the_consideration_for_a_treated_patient(
    client, alice, paula_reported
):
    Treatment.objects.create(
        patient=paula_reported, drug_class="bisphosphonate", name="Alendronate", start=D(2022, 7, 1)
    )
    page = summary(client, alice, paula_reported)
    assert "Treatment response" in page and "Treatment consideration:" not in page


def test_an_imported_result_without_a_releasing_clinician_says_so(client, alice, paula, hologic):
    scan(paula, hologic, D(2024, 6, 18), ("lumbar_spine", "", "0.772", "-2.7"))
    page = summary(client, alice, paula)
    assert "a clinician not recorded (imported result)" in page
    assert "First released scan: no earlier scan to compare with." in page
