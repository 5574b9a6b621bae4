"""Height loss as a VFA trigger and prompt (docs/clinical-rules.md §7)."""

import datetime

import pytest

from patients.stature import Height, height_loss


def measured(day, cm):
    return Height(date=datetime.date.fromisoformat(day), cm=cm, measured=True)


def reported(day, cm):
    return Height(date=datetime.date.fromisoformat(day), cm=cm, measured=False)


YOUNG_ADULT = "1975-06-01"


@pytest.mark.parametrize(
    ("tallest", "now", "loss", "trigger"),
    [
        pytest.param(165.0, 161.0, 4.0, False, id="exactly_4.0_is_not_above_4"),
        pytest.param(165.0, 160.9, 4.1, True, id="4.1_is_above_4"),
        pytest.param(164.3, 160.3, 4.0, False, id="float_artefact_4.0000000003_is_4.0"),
        pytest.param(170.0, 160.0, 10.0, True, id="large_loss"),
        pytest.param(165.0, 165.0, 0.0, False, id="no_change"),
        pytest.param(160.0, 161.5, 0.0, False, id="gain_is_no_loss"),
    ],
)
def test_historical_loss_above_4_cm_is_a_vfa_trigger(tallest, now, loss, trigger):
    result = height_loss([reported(YOUNG_ADULT, tallest), measured("2024-03-01", now)])
    assert result.historical_loss_cm == loss
    assert result.vfa_historical_trigger is trigger
    assert result.tallest_cm == max(tallest, now)
    assert result.current_cm == now


@pytest.mark.parametrize(
    ("earlier", "now", "loss", "prompt"),
    [
        pytest.param(163.0, 161.0, 2.0, False, id="exactly_2.0_is_not_above_2"),
        pytest.param(163.0, 160.9, 2.1, True, id="2.1_is_above_2"),
        pytest.param(161.0, 161.4, 0.0, False, id="gain_is_no_loss"),
    ],
)
def test_prospective_loss_above_2_cm_is_a_prompt(earlier, now, loss, prompt):
    result = height_loss([measured("2020-03-01", earlier), measured("2024-03-01", now)])
    assert result.prospective_loss_cm == loss
    assert result.prospective_prompt is prompt


def test_prospective_loss_is_from_the_greatest_earlier_measurement():
    result = height_loss(
        [
            measured("2018-01-10", 162.0),
            measured("2020-01-10", 163.0),
            measured("2022-01-10", 161.5),
            measured("2024-01-10", 160.5),
        ]
    )
    assert result.prospective_loss_cm == 2.5
    assert result.prospective_prompt is True


def test_a_self_reported_latest_height_is_never_the_current_height():
    result = height_loss(
        [
            reported(YOUNG_ADULT, 168.0),
            measured("2023-05-01", 163.5),
            reported("2024-05-01", 166.0),  # the patient's own, more recent guess
        ]
    )
    assert result.current_cm == 163.5
    assert result.tallest_cm == 168.0
    assert result.historical_loss_cm == 4.5
    assert result.vfa_historical_trigger is True
    # Prospective loss is between measurements only; one measurement gives none.
    assert result.prospective_loss_cm is None
    assert result.prospective_prompt is False


def test_heights_given_out_of_order_are_read_by_date():
    result = height_loss(
        [measured("2024-03-01", 160.0), measured("2020-03-01", 163.0), reported(YOUNG_ADULT, 165)]
    )
    assert result.current_cm == 160.0
    assert result.historical_loss_cm == 5.0
    assert result.prospective_loss_cm == 3.0


@pytest.mark.parametrize(
    ("heights", "tallest", "current"),
    [
        pytest.param([], None, None, id="no_heights"),
        pytest.param([measured("2024-03-01", 160.0)], 160.0, 160.0, id="one_measured_height"),
        pytest.param([reported(YOUNG_ADULT, 165.0)], 165.0, None, id="one_self_reported_height"),
        pytest.param(
            [reported(YOUNG_ADULT, 170.0), reported("2024-03-01", 160.0)],
            170.0,
            None,
            id="only_self_reported_heights",
        ),
    ],
)
def test_without_enough_heights_there_is_no_loss_and_no_trigger(heights, tallest, current):
    result = height_loss(heights)
    assert result.tallest_cm == tallest
    assert result.current_cm == current
    assert result.historical_loss_cm is None
    assert result.prospective_loss_cm is None
    assert result.vfa_historical_trigger is False
    assert result.prospective_prompt is False
    assert len(result.messages) == 1


def test_two_measurements_on_the_same_day_give_no_prospective_loss():
    result = height_loss([measured("2024-03-01", 162.5), measured("2024-03-01", 160.0)])
    assert result.current_cm == 160.0
    assert result.historical_loss_cm == 2.5
    assert result.prospective_loss_cm is None


def test_messages_give_the_loss_the_heights_and_the_verdict():
    result = height_loss(
        [
            reported(YOUNG_ADULT, 165.0),
            measured("2021-03-01", 163.0),
            measured("2024-03-01", 160.5),
        ]
    )
    assert result.messages == (
        (
            "Historical height loss 4.5 cm (tallest 165.0 cm, now 160.5 cm): "
            "above 4 cm, a VFA indication when T < −1.0."
        ),
        (
            "Prospective height loss 2.5 cm between measurements "
            "(163.0 cm on 2021-03-01, now 160.5 cm on 2024-03-01): "
            "above 2 cm, a prompt to consider VFA (2007 trigger, not a rule)."
        ),
    )


def test_messages_say_when_the_losses_are_below_the_thresholds():
    result = height_loss([reported(YOUNG_ADULT, 164.0), measured("2024-03-01", 162.0)])
    assert result.messages == (
        (
            "Historical height loss 2.0 cm (tallest 164.0 cm, now 162.0 cm): "
            "not above 4 cm, no VFA indication from height loss."
        ),
    )


@pytest.mark.parametrize(
    ("heights", "expected"),
    [
        pytest.param(
            [reported(YOUNG_ADULT, 165.0)],
            "No measured height on record",
            id="no_measurement",
        ),
        pytest.param(
            [measured("2024-03-01", 160.0)],
            "record the tallest height as a young adult",
            id="one_measurement",
        ),
    ],
)
def test_messages_say_what_is_missing(heights, expected):
    (message,) = height_loss(heights).messages
    assert expected in message


@pytest.mark.parametrize("cm", [0.0, -160.0, float("nan"), float("inf")])
def test_a_height_must_be_a_positive_number_of_centimetres(cm):
    with pytest.raises(ValueError, match="positive number of centimetres"):
        measured("2024-03-01", cm)
