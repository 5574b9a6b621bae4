"""A repeat view of an unchanged record's chart is answered without loading the record, and
every change a chart draws, through the services or not, still gives a new chart."""

import datetime
import logging
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from patients.models import Fracture, Treatment
from scans import trends
from scans.interpretation import load_record, load_scan_readings
from scans.models import DexaScan, PrecisionStudy, SiteMeasurement

D = datetime.date


def scan(patient, device, day, bmd, t, *, status="released"):
    record = DexaScan.objects.create(patient=patient, device=device, date=day, status=status)
    SiteMeasurement.objects.create(
        scan=record, site="lumbar_spine", side="", bmd=bmd, t_score=t, vertebrae="L1-L4"
    )
    return record


@pytest.fixture
def paula_scans(paula, hologic):
    scan(paula, hologic, D(2022, 6, 14), "0.842", "-2.0")
    scan(paula, hologic, D(2024, 6, 18), "0.810", "-2.3")
    return paula


@pytest.fixture
def chart_renders(caplog):
    caplog.set_level(logging.INFO, logger="scans.trends")
    cache.clear()
    return lambda: sum("rendering" in r.getMessage() for r in caplog.records)


def chart(patient, kind="bmd", *, etag=None):
    headers = {"If-None-Match": etag} if etag else {}
    request = RequestFactory().get("/chart.svg", headers=headers)
    return trends.patient_chart_response(request, patient, kind)


def test_a_repeat_view_needs_one_query_and_no_drawing(
    paula_scans, chart_renders, django_assert_num_queries
):
    first = chart(paula_scans)
    with django_assert_num_queries(1):
        second = chart(paula_scans)
    assert second.content == first.content and second["ETag"] == first["ETag"]
    assert "private" in second["Cache-Control"]
    with django_assert_num_queries(1):
        assert chart(paula_scans, etag=first["ETag"]).status_code == 304
    assert chart_renders() == 1


@pytest.mark.parametrize(
    "change",
    [
        "new scan",
        "measurement edited",
        "scan marked in error",
        "scan deleted",
        "fracture",
        "treatment",
        "precision study",
    ],
)
def test_every_change_a_chart_draws_gives_a_new_chart(
    change, paula_scans, hologic, alice, chart_renders
):
    etag = chart(paula_scans)["ETag"]
    latest = paula_scans.scans.get(date=D(2024, 6, 18))
    if change == "new scan":
        scan(paula_scans, hologic, D(2026, 6, 16), "0.772", "-2.7")
    elif change == "measurement edited":
        # As the admin would: a plain save, no service, nothing announced.
        measurement = latest.measurements.get()
        measurement.bmd = Decimal("0.700")
        measurement.save()
    elif change == "scan marked in error":
        latest.mark_entered_in_error("Wrong patient")
    elif change == "scan deleted":
        latest.measurements.all().delete()
        latest.delete()
    elif change == "fracture":
        Fracture.objects.create(
            patient=paula_scans, date=D(2023, 1, 5), site="hip", mechanism="fragility"
        )
    elif change == "treatment":
        Treatment.objects.create(
            patient=paula_scans,
            drug_class="bisphosphonate",
            name="Alendronate",
            start=D(2023, 2, 1),
        )
    else:
        PrecisionStudy.objects.create(
            device=hologic,
            site="lumbar_spine",
            date=D(2020, 1, 1),
            values=[],
            patients=30,
            degrees_of_freedom=30,
            rms_sd=Decimal("0.0050"),
            lsc=Decimal("0.0139"),
            cv_percent=Decimal("0.60"),
        )
    assert chart(paula_scans)["ETag"] != etag
    assert chart_renders() == 2


def test_a_scan_moved_to_another_patient_leaves_both_charts(
    paula_scans, pete, hologic, chart_renders
):
    scan(pete, hologic, D(2021, 1, 4), "0.900", "-1.5")
    paulas, petes = chart(paula_scans)["ETag"], chart(pete)["ETag"]
    moved = paula_scans.scans.get(date=D(2024, 6, 18))
    moved.patient = pete
    moved.save()
    assert chart(paula_scans)["ETag"] != paulas
    assert chart(pete)["ETag"] != petes


@pytest.mark.parametrize("status", ["draft", "reviewed"])
def test_a_scan_not_released_is_drawn_on_no_chart_until_released(
    status, paula_scans, hologic, alice
):
    before = {kind: chart(paula_scans, kind) for kind in trends.KINDS}
    # Between the two released scans, with a loss that would show as significant.
    pending = scan(paula_scans, hologic, D(2023, 6, 18), "0.700", "-3.4", status=status)
    for kind, response in before.items():
        now = chart(paula_scans, kind)
        assert (now["ETag"], now.content) == (response["ETag"], response.content)
    pending.status, pending.reviewed_by = "released", alice
    pending.save()
    assert chart(paula_scans)["ETag"] != before["bmd"]["ETag"]


@pytest.mark.parametrize("kind", trends.KINDS)
@pytest.mark.parametrize("released_only", [False, True])
def test_the_cached_chart_is_the_one_the_whole_record_draws(
    kind, released_only, paula_scans, hologic
):
    scan(paula_scans, hologic, D(2025, 6, 18), "0.700", "-3.4", status="draft")
    Fracture.objects.create(
        patient=paula_scans, date=D(2023, 1, 5), site="hip", mechanism="fragility"
    )
    records = load_record(paula_scans, released_only=released_only)
    inputs = trends.chart_inputs(
        kind,
        records["reading"].readings,
        records["fractures"],
        records["treatments"],
        records["studies"],
    )
    response = chart(paula_scans, kind)
    assert response["ETag"] == f'"{trends.chart_key(kind, inputs)}"'


def test_measurements_load_without_reading_every_scan(paula, hologic):
    """The chart's measurements come by site and side within each scan, in a query of their
    own table: sorting them by their scan's date joined every scan in the clinic."""
    first = scan(paula, hologic, D(2022, 6, 14), "0.842", "-2.0")
    SiteMeasurement.objects.create(
        scan=first, site="femoral_neck", side="left", bmd="0.650", t_score="-2.1"
    )
    SiteMeasurement.objects.create(
        scan=first, site="femoral_neck", side="right", bmd="0.640", t_score="-2.2"
    )
    scan(paula, hologic, D(2024, 6, 18), "0.810", "-2.3")
    with CaptureQueriesContext(connection) as queries:
        readings = load_scan_readings(paula)["readings"]
    measured = [q["sql"] for q in queries if 'FROM "scans_sitemeasurement"' in q["sql"]]
    assert len(measured) == 1 and "JOIN" not in measured[0]
    by_date = {reading.scan.date: reading.scan for reading in readings}
    oldest, newest = by_date[D(2022, 6, 14)], by_date[D(2024, 6, 18)]
    assert [(m.site, m.side) for m in oldest.measured] == [
        ("femoral_neck", "left"),
        ("femoral_neck", "right"),
        ("lumbar_spine", ""),
    ]
    assert [(m.site, m.side) for m in newest.measured] == [("lumbar_spine", "")]
