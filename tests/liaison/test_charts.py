"""Run charts of the KPIs: plain month points in, accessible SVG out."""

import datetime

from liaison.charts import run_chart
from liaison.report import MonthPoint

JAN, FEB, MAR = (datetime.date(2025, m, 1) for m in (1, 2, 3))


def test_a_run_chart_shows_the_median_of_the_months_with_patients():
    points = (MonthPoint(JAN, 1, 4), MonthPoint(FEB, 0, 0), MonthPoint(MAR, 3, 4))
    svg = run_chart(points, title="KPI 3: assessed").decode()
    assert svg.count('role="img"') == 1 and "<title>KPI 3: assessed</title>" in svg
    assert "median 50%" in svg  # of 25% and 75%; February had no patient due
    assert "Jan 2025" in svg and "Mar 2025" in svg


def test_a_period_with_no_patient_due_says_so():
    svg = run_chart((MonthPoint(JAN, 0, 0),), title="KPI 10").decode()
    assert "No data yet" in svg and "median" not in svg
