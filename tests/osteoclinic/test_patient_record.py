"""The clinician's record page: the reading a densitometrist would write, trends and tables."""

import datetime
import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from patients.models import Fracture, Treatment
from scans.models import Device, DexaScan, SiteMeasurement

D = datetime.date


def scan(patient, device, day, *sites, status="released"):
    record = DexaScan.objects.create(patient=patient, device=device, date=day, status=status)
    for site, side, bmd, t in sites:
        SiteMeasurement.objects.create(
            scan=record,
            site=site,
            side=side,
            bmd=bmd,
            t_score=t,
            vertebrae="L1-L4" if site == "lumbar_spine" else "",
        )
    return record


@pytest.fixture
def paula_history(paula, hologic):
    """Three scans over four years; the spine loses 0.070 g/cm² against the first."""
    scan(
        paula,
        hologic,
        D(2022, 6, 14),
        ("lumbar_spine", "", "0.842", "-2.0"),
        ("femoral_neck", "left", "0.640", "-1.8"),
    )
    scan(
        paula,
        hologic,
        D(2024, 6, 18),
        ("lumbar_spine", "", "0.810", "-2.3"),
        ("femoral_neck", "left", "0.615", "-2.0"),
    )
    scan(
        paula,
        hologic,
        D(2026, 6, 16),
        ("lumbar_spine", "", "0.772", "-2.7"),
        ("femoral_neck", "left", "0.590", "-2.2"),
    )
    return paula


def record_page(client, alice, patient) -> str:
    client.force_login(alice)
    response = client.get(reverse("patient_record", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_paula_reads_as_osteoporosis_with_loss_beyond_the_default_lsc(client, alice, paula_history):
    page = record_page(client, alice, paula_history)
    assert "Osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4." in page
    # 0.842 → 0.772: −0.070 g/cm², beyond the ISCD default spine LSC of 5.3% (0.045 g/cm²).
    assert "Loss of 0.070 g/cm² (−8.3%) exceeds the default least significant change" in page
    # 0.810 → 0.772: −0.038 g/cm², within 5.3% of 0.810 (0.043 g/cm²).
    assert "Change of −0.038 g/cm² is within the default least significant change" in page
    assert "not measured on this scanner" in page


def test_a_fragility_fracture_makes_it_severe(client, alice, paula_history):
    Fracture.objects.create(
        patient=paula_history,
        date=D(2026, 10, 20),
        site="vertebral",
        vertebral_level="L1",
        mechanism="fragility",
        genant_grade=2,
    )
    page = record_page(client, alice, paula_history)
    assert "Severe (established) osteoporosis: lowest T-score −2.7" in page
    assert "with a fragility fracture" in page


def test_pete_reads_low_bone_mass_after_a_normal_scan(client, alice, pete, hologic):
    scan(pete, hologic, D(2021, 3, 10), ("lumbar_spine", "", "1.150", "-0.3"))
    scan(pete, hologic, D(2025, 3, 12), ("lumbar_spine", "", "1.040", "-1.2"))
    page = record_page(client, alice, pete)
    assert "Low bone mass (osteopenia): lowest T-score −1.2 at the lumbar spine L1–L4." in page
    assert "Loss of 0.110 g/cm² (−9.6%) exceeds" in page


def test_another_manufacturer_is_compared_approximately_and_never_significant(
    client, alice, pete, hologic
):
    lunar = Device.objects.create(manufacturer="ge_lunar", serial="GE-1")
    scan(pete, hologic, D(2021, 3, 10), ("total_hip", "left", "0.900", "-0.3"))
    scan(pete, lunar, D(2025, 3, 12), ("total_hip", "left", "0.700", "-2.0"))
    page = record_page(client, alice, pete)
    assert "Approximate: different manufacturer" in page
    assert "Significant loss" not in page


def test_a_hip_t_score_that_does_not_fit_its_bmd_is_flagged(client, alice, paula, hologic):
    scan(paula, hologic, D(2025, 1, 1), ("femoral_neck", "left", "0.558", "-1.0"))
    page = record_page(client, alice, paula)
    assert "does not fit BMD 0.558" in page


def test_next_scan_due_follows_treatment(client, alice, paula_history):
    page = record_page(client, alice, paula_history)
    assert "Next scan due:</strong> 16 June 2028" in page
    Treatment.objects.create(
        patient=paula_history, drug_class="bisphosphonate", name="Alendronate", start=D(2024, 7, 1)
    )
    paula_history.glucocorticoids = True
    paula_history.save()
    page = record_page(client, alice, paula_history)
    assert "Next scan due:</strong> 16 June 2027" in page


def test_one_scan_gives_a_sentence_instead_of_a_chart(client, alice, paula, hologic):
    scan(paula, hologic, D(2025, 1, 1), ("lumbar_spine", "", "0.900", "-1.5"))
    page = record_page(client, alice, paula)
    assert "One scan so far: a trend needs at least two." in page
    assert "chart/tscore.svg" not in page


def test_drafts_show_on_the_record_with_their_status(client, alice, paula, hologic):
    scan(paula, hologic, D(2025, 1, 1), ("lumbar_spine", "", "0.900", "-1.5"), status="draft")
    page = record_page(client, alice, paula)
    assert "Draft — not yet reviewed: scan of 1 January 2025" in page
    assert "No released scan yet" in page


def test_the_record_page_query_count_does_not_grow_with_scans(
    client, alice, paula, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("patient_record", args=[paula.pk])
    scan(paula, hologic, D(2020, 1, 1), ("lumbar_spine", "", "0.900", "-1.5"))
    # 26: the record, its scans and readings, and one query each for its cards (the messages and
    # the caregivers among them); none per scan.
    with django_assert_max_num_queries(26) as few:
        client.get(url)
    for year in range(2021, 2027):
        scan(
            paula,
            hologic,
            D(year, 1, 1),
            ("lumbar_spine", "", "0.900", "-1.5"),
            ("total_hip", "left", "0.800", "-1.2"),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


@pytest.fixture
def chart_renders(caplog):
    caplog.set_level(logging.INFO, logger="scans.trends")
    cache.clear()
    return lambda: sum("rendering" in r.getMessage() for r in caplog.records)


def test_a_chart_is_svg_and_a_repeat_view_comes_from_the_cache(
    client, alice, paula_history, chart_renders
):
    client.force_login(alice)
    url = reverse("scans:chart", args=[paula_history.pk, "tscore"])
    first = client.get(url)
    assert first["Content-Type"] == "image/svg+xml"
    assert "private" in first["Cache-Control"]
    body = first.content.decode()
    assert body.lstrip().startswith(("<?xml", "<svg"))
    assert "Lumbar spine L1–L4" in body and "Osteoporosis (≤ −2.5)" in body
    second = client.get(url)
    assert second.content == first.content
    assert chart_renders() == 1
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_new_data_gives_a_new_chart(client, alice, paula_history, hologic, chart_renders):
    client.force_login(alice)
    url = reverse("scans:chart", args=[paula_history.pk, "bmd"])
    etag = client.get(url)["ETag"]
    scan(paula_history, hologic, D(2026, 11, 1), ("lumbar_spine", "", "0.760", "-2.8"))
    assert client.get(url)["ETag"] != etag
    assert chart_renders() == 2


def test_an_unknown_chart_kind_is_not_found(client, alice, paula):
    client.force_login(alice)
    assert client.get(reverse("scans:chart", args=[paula.pk, "pie"])).status_code == 404


def test_each_scan_page_reads_that_scan_against_its_predecessors(client, alice, paula_history):
    client.force_login(alice)
    middle = paula_history.scans.get(date=D(2024, 6, 18))
    page = client.get(reverse("scans:scan_detail", args=[middle.pk])).content.decode()
    assert "Low bone mass (osteopenia): lowest T-score −2.3 at the lumbar spine L1–L4." in page
    assert "vs 2022-06-14" in page
    assert "2026-06-16" not in page


def test_the_chart_query_count_does_not_grow_with_scans(
    client, alice, paula_history, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    url = reverse("scans:chart", args=[paula_history.pk, "bmd"])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for year in range(2010, 2020):
        scan(paula_history, hologic, D(year, 2, 2), ("lumbar_spine", "", "0.900", "-1.5"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_the_printable_summary_holds_identity_diagnosis_changes_and_next_scan(
    client, alice, paula_history
):
    Treatment.objects.create(
        patient=paula_history, drug_class="bisphosphonate", name="Alendronate", start=D(2024, 7, 1)
    )
    client.force_login(alice)
    page = client.get(reverse("patient_summary", args=[paula_history.pk])).content.decode()
    assert "MRN MRN-PAULA" in page
    assert "Osteoporosis: lowest T-score −2.7 at the lumbar spine L1–L4." in page
    assert "−0.070 (−8.3%) vs 2022-06-14" in page
    assert "Alendronate" in page
    assert "Next scan due:</strong> 2028-06-16" in page
    assert "<script>" not in page and "onclick" not in page


def test_a_self_reported_vertebral_fracture_prompts_vfa(client, alice, pete, hologic):
    # A man of 62 with low bone mass: no VFA indication by age, one by the reported fracture.
    scan(pete, hologic, D(2025, 3, 12), ("lumbar_spine", "", "1.040", "-1.2"))
    assert "VFA indicated" not in record_page(client, alice, pete)
    Fracture.objects.create(
        patient=pete,
        date=D(2020, 1, 1),
        date_precision="year",
        site="vertebral",
        vertebral_level="T12",
        mechanism="unknown",
        detection="self_reported",
    )
    assert "Self-reported vertebral fracture" in record_page(client, alice, pete)


def test_a_forearm_indication_brings_the_radius_into_the_diagnosis(client, alice, paula, hologic):
    scan(
        paula,
        hologic,
        D(2025, 1, 1),
        ("lumbar_spine", "", "0.950", "-1.2"),
        ("total_hip", "left", "0.820", "-1.0"),
        ("radius_33", "left", "0.600", "-2.7"),
    )
    assert "lowest T-score −1.2 at the lumbar spine" in record_page(client, alice, paula)
    paula.forearm_indicated = True
    paula.save()
    page = record_page(client, alice, paula)
    assert "Osteoporosis: lowest T-score −2.7 at the left 33% radius." in page


def test_a_man_under_50_is_charted_on_z_scores_for_the_clinician(client, alice, hologic):
    from tests.conftest import make_patient

    young = make_patient("Z-2", date_of_birth=D(1985, 5, 5), sex="male", menopause="not_applicable")
    for day, bmd, t, z in (
        (D(2022, 1, 1), "0.900", "-2.2", "-2.1"),
        (D(2024, 1, 1), "0.890", "-2.3", "-2.2"),
    ):
        scan(young, hologic, day, ("lumbar_spine", "", bmd, t)).measurements.update(z_score=z)
    page = record_page(client, alice, young)
    assert "Z-score over time" in page and "T-score over time" not in page
    url = reverse("scans:chart", args=[young.pk, "zscore"])
    assert url in page
    svg = client.get(url).content.decode()
    assert "Below the expected range for age" in svg and "Osteoporosis" not in svg
    # A later scan without a Z-score adds no point: the table lists the two there are.
    scan(young, hologic, D(2025, 1, 1), ("lumbar_spine", "", "0.880", "-2.4"))
    page = record_page(client, alice, young)
    assert "Z-score over time" in page and "−2.2" in page


def test_a_z_score_chart_without_z_scores_says_so(client, alice, hologic):
    from tests.conftest import make_patient

    young = make_patient("Z-3", date_of_birth=D(1990, 5, 5), menopause="pre")
    scan(young, hologic, D(2024, 1, 1), ("lumbar_spine", "", "0.900", "-2.2"))
    page = record_page(client, alice, young)
    assert "No Z-score is recorded yet, so there is no trend to show." in page
