"""Charts are drawn from whatever is stored: arbitrary records never break them.

Forms bound every date, but records also arrive by import, through the admin, or from before a
bound existed. Each example stores a record straight through the ORM (within the database's
own constraints) and opens every chart, and the pages that show them, as alice and as paula.
"""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from patients.models import Fracture, FractureSite, HeightMeasurement, Mechanism, SymptomReport
from patients.models import Treatment as TreatmentRecord
from scans.models import DexaScan, ScanStatus, SiteMeasurement
from scans.trends import KINDS
from tests.fuzz import FUZZ, rolled_back

pytestmark = pytest.mark.django_db

any_day = st.dates(datetime.date(1, 1, 1), datetime.date(9999, 12, 31))
any_moment = st.datetimes(
    datetime.datetime(1, 1, 2), datetime.datetime(9999, 12, 30), timezones=st.just(datetime.UTC)
)
scan_rows = st.lists(
    st.tuples(
        any_day,
        st.sampled_from(["lumbar_spine", "femoral_neck", "total_hip"]),
        st.decimals("0.200", "1.800", places=3),
        st.decimals("-5.0", "3.0", places=1),
        st.booleans(),
    ),
    max_size=4,
)
treatments = st.lists(st.tuples(any_day, st.one_of(st.none(), any_day), st.booleans()), max_size=3)
record = st.fixed_dictionaries(
    {
        "scans": scan_rows,
        "fractures": st.lists(any_day, max_size=3),
        "treatments": treatments,
        "heights": st.lists(any_day, max_size=2),
        "symptoms": st.lists(any_moment, max_size=3),
    }
)

FAR_FUTURE = datetime.date(9999, 12, 31)


def store(patient, device, drawn) -> None:
    """The drawn record, as the database accepts it (a scan is never before the birth)."""
    for day, site, bmd, t_score, released in drawn["scans"]:
        day = max(day, patient.date_of_birth)
        if DexaScan.objects.filter(patient=patient, device=device, date=day).exists():
            continue
        scan = DexaScan.objects.create(
            patient=patient,
            device=device,
            date=day,
            status=ScanStatus.RELEASED if released else ScanStatus.DRAFT,
        )
        side = "" if site == "lumbar_spine" else "left"
        SiteMeasurement.objects.create(scan=scan, site=site, side=side, bmd=bmd, t_score=t_score)
    for day in drawn["fractures"]:
        Fracture.objects.create(
            patient=patient, date=day, site=FractureSite.HIP, mechanism=Mechanism.FRAGILITY
        )
    for start, stop, bone in drawn["treatments"]:
        if stop is not None and stop < start:
            start, stop = stop, start
        TreatmentRecord.objects.create(
            patient=patient,
            drug_class="bisphosphonate" if bone else "calcium_vitamin_d",
            name="alendronate",
            start=start,
            stop=stop,
        )
    for day in drawn["heights"]:
        HeightMeasurement.objects.create(patient=patient, date=day, cm="160.0")
    for moment in drawn["symptoms"]:
        SymptomReport.objects.create(patient=patient, reported_at=moment, source="patient", pain=4)


def assert_every_chart_draws(alice_client, paula_client, patient) -> None:
    for kind in KINDS:
        for client, url in (
            (alice_client, reverse("scans:chart", args=[patient.pk, kind])),
            (paula_client, reverse("portal:chart", args=[kind])),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Type"].startswith("image/svg+xml")
    assert paula_client.get(reverse("portal:pain_chart")).status_code == 200
    assert alice_client.get(patient.get_absolute_url()).status_code == 200
    assert paula_client.get(reverse("portal:home")).status_code == 200


@FUZZ
@given(drawn=record)
@example(
    # A treatment typed as 9999-12-31 used to break both of paula's charts.
    drawn={
        "scans": [(datetime.date(2023, 3, 3), "lumbar_spine", "0.812", "-2.7", True)],
        "fractures": [],
        "treatments": [(datetime.date(2020, 1, 1), FAR_FUTURE, True)],
        "heights": [],
        "symptoms": [],
    }
)
@example(
    drawn={
        "scans": [
            (datetime.date(2023, 3, 3), "total_hip", "0.700", "-2.0", True),
            (FAR_FUTURE, "total_hip", "0.650", "-2.4", True),
        ],
        "fractures": [datetime.date(1, 1, 1), FAR_FUTURE],
        "treatments": [(datetime.date(1, 1, 1), None, True)],
        "heights": [FAR_FUTURE],
        "symptoms": [datetime.datetime(9999, 12, 30, tzinfo=datetime.UTC)],
    }
)
def test_charts_draw_from_any_stored_record(client_for, alice, paula, hologic, drawn):
    alice_client = client_for(alice)
    paula_client = Client()
    paula_client.force_login(paula.user)
    with rolled_back():
        store(paula, hologic, drawn)
        assert_every_chart_draws(alice_client, paula_client, paula)
