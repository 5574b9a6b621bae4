"""The KPI page: the eleven KPIs of a period from the database, run charts and CSV."""

import csv
import datetime
import io

import pytest
from django.urls import reverse

from liaison import report
from tests.conftest import make_patient
from tests.liaison.records import episode

TODAY = datetime.date.today()
# A month whose every time point (even 52 weeks) has passed.
MONTH = datetime.date(TODAY.year - 2, 3, 1)


def on(days: int) -> datetime.date:
    return MONTH + datetime.timedelta(days=days)


def row_cells(response, number: int) -> list[str]:
    results = {r.number: r for r in response.context["report"].results}
    r = results[number]
    return [r.numerator, r.denominator, r.level]


def kpi_url(first=MONTH, last=MONTH) -> str:
    return reverse("liaison:kpis") + f"?first={first:%Y-%m}&last={last:%Y-%m}"


@pytest.fixture
def small_clinic(paula, pete):
    """Three episodes of March two years ago, worked out by hand in the tests below."""
    # Assessed with FRAX on day 84 and DXA on day 84: in time for 12 weeks.
    episode(
        paula,
        on(0),
        assessed_on=on(84),
        risk_assessment="frax",
        dxa_plan="recommended",
        dxa_on=on(84),
        falls_assessment="done",
        medication_plan="recommended",
        medication_class="bisphosphonate",
        medication_started=True,
        medication_started_on=on(100),
        contact_16_made=True,
        contact_16_on=on(112),
        contact_16_by="Nurse",
        contact_52_made=True,
        contact_52_on=on(360),
        contact_52_by="Nurse",
        contact_52_on_medication=True,
        exercise_started=False,
    )
    # Assessed on day 85 and DXA on day 85: late for 12 weeks, in time for 90 days.
    episode(
        pete,
        on(1),
        site="vertebral",
        assessed_on=on(86),
        risk_assessment="clinical",
        dxa_plan="recommended",
        dxa_on=on(86),
        falls_assessment="not_done",
        medication_plan="not_recommended",
        medication_started=False,
        contact_16_made=False,
        exercise_started=True,
        exercise_started_on=on(30),
    )
    # Nothing recorded but the identification.
    episode(make_patient("MRN-NONE"), on(20))


def test_the_page_shows_each_kpi_of_a_small_clinic(alice, small_clinic, client_for):
    response = client_for(alice).get(kpi_url())
    assert response.status_code == 200
    assert row_cells(response, 1) == [2, 3, None]
    assert row_cells(response, 2) == [1, 3, None]
    assert row_cells(response, 3) == [1, 3, "red"]  # day 84 in time, day 85 late, missing
    assert row_cells(response, 4) == [1, 3, "red"]
    assert row_cells(response, 5) == [1, 3, "red"]
    assert row_cells(response, 6) == [1, 3, "red"]
    assert row_cells(response, 7) == [1, 3, "red"]
    assert row_cells(response, 8) == [1, 3, "red"]
    assert row_cells(response, 9) == [1, 3, "red"]
    assert row_cells(response, 10) == [1, 3, "red"]
    # KPI 11: 2 recorded of 3 for KPIs 3–9, 1 of 3 for KPI 10 (pete's 52-week answer missing).
    assert row_cells(response, 11) == [15, 24, "amber"]
    page = response.content.decode()
    assert "62.5%" in page and "Amber" in page and "12 weeks (84 days)" in page


def test_a_90_day_window_counts_day_85(alice, small_clinic, client_for, settings):
    settings.FLS_ASSESSMENT_WINDOW = "90-days"
    response = client_for(alice).get(kpi_url())
    assert row_cells(response, 3) == [2, 3, "amber"]
    assert row_cells(response, 4) == [2, 3, "amber"]
    assert "90 days" in response.content.decode()


def test_episodes_in_error_or_on_a_fracture_in_error_are_not_counted(alice, paula, client_for):
    kept = episode(paula, on(0))
    episode(paula, on(2)).mark_entered_in_error("duplicate")
    gone = episode(paula, on(3))
    gone.fracture.mark_entered_in_error("wrong patient")
    response = client_for(alice).get(kpi_url())
    assert row_cells(response, 1) == [1, 1, None]
    assert kept.pk


def test_the_period_is_by_month_of_the_index_fracture(alice, paula, client_for):
    episode(paula, MONTH - datetime.timedelta(days=1))  # the last day of the month before
    episode(paula, on(0))
    nxt = (MONTH + datetime.timedelta(days=32)).replace(day=1)
    response = client_for(alice).get(kpi_url(MONTH, nxt))
    assert row_cells(response, 1) == [1, 1, None]
    runs = {run["result"].number: run["points"] for run in response.context["runs"]}
    assert [(p.month, p.numerator, p.denominator) for p in runs[1]] == [
        (MONTH, 1, 1),
        (nxt, 0, 0),
    ]


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("?first=2025-13&last=2025-01", "first", "Enter a month as YYYY-MM"),
        ("?first=2025-06&last=2025-01", "last", "The end is before the start."),
        ("?first=2015-01&last=2025-01", "last", "Choose at most 60 months at a time."),
    ],
)
def test_a_wrong_period_says_what_is_wrong_next_to_it(alice, client_for, query, field, message):
    response = client_for(alice).get(reverse("liaison:kpis") + query)
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    first, last = report.default_period(TODAY)
    assert (response.context["report"].first, response.context["report"].last) == (first, last)


def test_the_query_count_does_not_grow_with_the_number_of_patients(
    alice, client_for, django_assert_max_num_queries
):
    client = client_for(alice)
    for index in range(3):
        episode(make_patient(f"FEW-{index}"), on(index), risk_assessment="frax", assessed_on=on(9))
    with django_assert_max_num_queries(20) as few:
        client.get(kpi_url())
    for index in range(60):
        episode(make_patient(f"MANY-{index}"), on(index % 28), site="hip", dxa_plan="recommended")
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        response = client.get(kpi_url())
    assert len(many.captured_queries) == len(few.captured_queries)
    assert row_cells(response, 1)[1] == 63


def test_the_csv_has_every_kpi_over_the_period_and_by_month(alice, small_clinic, client_for):
    response = client_for(alice).get(
        reverse("liaison:kpi_csv") + f"?first={MONTH:%Y-%m}&last={MONTH:%Y-%m}"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 22  # eleven over the period, eleven for its one month
    eleven = next(r for r in rows if r["kpi"] == "11" and r["month"] == "all")
    assert (eleven["numerator"], eleven["denominator"], eleven["percentage"], eleven["level"]) == (
        "15",
        "24",
        "62.5",
        "amber",
    )
    assert {r["month"] for r in rows} == {"all", f"{MONTH:%Y-%m}"}


def test_csv_cells_that_look_like_formulas_are_neutralised():
    assert report._cell('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert report._cell("-1") == "'-1"
    assert report._cell(12) == "12"


def test_each_kpi_has_a_run_chart_with_its_table(alice, small_clinic, client_for):
    client = client_for(alice)
    page = client.get(kpi_url())
    html = page.content.decode()
    for number in range(1, 12):
        assert reverse("liaison:kpi_chart", kwargs={"number": number}) in html
    response = client.get(
        reverse("liaison:kpi_chart", kwargs={"number": 3})
        + f"?first={MONTH:%Y-%m}&last={MONTH:%Y-%m}"
    )
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert 'role="img"' in svg and "KPI 3: Assessed for fracture risk" in svg
    again = client.get(
        reverse("liaison:kpi_chart", kwargs={"number": 3})
        + f"?first={MONTH:%Y-%m}&last={MONTH:%Y-%m}",
        HTTP_IF_NONE_MATCH=response["ETag"],
    )
    assert again.status_code == 304
    assert client.get(reverse("liaison:kpi_chart", kwargs={"number": 12})).status_code == 404


def test_a_repeat_view_is_served_from_the_cache_and_a_change_shows_at_once(
    alice, paula, client_for, django_assert_num_queries
):
    item = episode(paula, on(0))
    client = client_for(alice)
    assert "0.0%" in client.get(kpi_url()).content.decode()  # KPI 3: 0 of 1
    with django_assert_num_queries(4):  # session, user, groups, the version marks
        cached = client.get(kpi_url())
    assert "report" not in cached.context
    client.post(
        reverse("liaison:episode_step", kwargs={"pk": item.pk, "step": "assessment"}),
        {"assessed_on": f"{on(20)}", "risk_assessment": "frax"},
    )
    response = client.get(kpi_url())
    assert row_cells(response, 3) == [1, 1, "green"]
