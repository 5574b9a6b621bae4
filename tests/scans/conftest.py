"""Scanners' earlier released results, for the plausibility checks' learned lines."""

import datetime

import pytest

from tests.conftest import make_patient
from tests.scans.test_scan_plausibility_pages import released, spine


@pytest.fixture
def line_of_five(hologic):
    """Five women's released spine results on T = (BMD − 1.000) / 0.100."""
    for number, (bmd, t_score) in enumerate(
        [
            ("0.800", "-2.0"),
            ("0.850", "-1.5"),
            ("0.900", "-1.0"),
            ("0.950", "-0.5"),
            ("1.000", "0.0"),
        ]
    ):
        woman = make_patient(f"LINE-{number}")
        released(woman, hologic, datetime.date(2022, 1, 3), [spine(bmd, t_score)])
