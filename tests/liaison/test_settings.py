"""The assessment and DXA window is a clinic setting: 12 weeks or 90 days, nothing else."""

from tests.osteoclinic.test_settings import PRODUCTION, manage


def test_the_window_accepts_only_12_weeks_or_90_days():
    result = manage("check", **{**PRODUCTION, "FLS_ASSESSMENT_WINDOW": "3-months"})
    assert result.returncode != 0
    assert "FLS_ASSESSMENT_WINDOW must be 12-weeks or 90-days" in result.stderr
    result = manage("check", **{**PRODUCTION, "FLS_ASSESSMENT_WINDOW": "90-days"})
    assert result.returncode == 0, result.stderr


def test_the_window_defaults_to_12_weeks():
    from django.conf import settings

    from liaison.report import window_days

    assert settings.FLS_ASSESSMENT_WINDOW == "12-weeks" and window_days() == 84
