"""Red flags and findings from the guide's "When to Seek Medical Help".

docs/clinical-rules.md §11 and §11.1.
"""

import pytest

from patients.symptoms import (
    CONTACT_CLINIC_MESSAGE,
    FINDINGS,
    RED_FLAGS,
    PainLocation,
    SymptomEntry,
    findings,
    red_flags,
    validate_pain,
)

BACK = PainLocation.BACK
HIP = PainLocation.HIP
NECK = PainLocation.NECK_SHOULDER
OTHER = PainLocation.OTHER


def entry(
    pain=0,
    locations=(),
    *,
    sudden=False,
    affects_life=False,
    fall=False,
    stooping=False,
):
    return SymptomEntry(
        pain=pain,
        locations=frozenset(locations),
        sudden_onset=sudden,
        affects_sleep_or_daily_life=affects_life,
        fall_since_last_report=fall,
        height_loss_or_stooping=stooping,
    )


def codes(e):
    return [flag.code for flag in red_flags(e)]


@pytest.mark.parametrize(
    ("e", "expected"),
    [
        pytest.param(entry(), [], id="nothing_reported"),
        pytest.param(entry(3, [BACK], sudden=True), ["sudden_back_pain"], id="sudden_back"),
        pytest.param(
            entry(1, [BACK, OTHER], sudden=True), ["sudden_back_pain"], id="sudden_back_1"
        ),
        pytest.param(entry(6, [HIP], sudden=True), [], id="sudden_hip_is_not_sudden_back"),
        pytest.param(entry(6, [NECK], sudden=True), [], id="sudden_neck_is_not_sudden_back"),
        pytest.param(entry(0, [BACK], sudden=True), [], id="pain_0_sudden_is_not"),
        pytest.param(entry(5, [BACK]), [], id="back_pain_not_sudden"),
        pytest.param(
            entry(4, [BACK], affects_life=True),
            ["pain_affecting_sleep_or_daily_life"],
            id="back_affecting_life",
        ),
        pytest.param(
            entry(2, [HIP], affects_life=True),
            ["pain_affecting_sleep_or_daily_life"],
            id="hip_affecting_life",
        ),
        pytest.param(entry(4, [BACK]), [], id="back_pain_not_affecting_sleep_is_not"),
        pytest.param(entry(4, [NECK], affects_life=True), [], id="neck_pain_affecting_life_is_not"),
        pytest.param(
            entry(4, [OTHER], affects_life=True), [], id="other_pain_affecting_life_is_not"
        ),
        pytest.param(entry(0, [HIP], affects_life=True), [], id="pain_0_affecting_life_is_not"),
        pytest.param(entry(fall=True), ["fall_or_suspected_fracture"], id="fall"),
        pytest.param(entry(stooping=True), ["height_loss_or_stooping"], id="height_loss"),
        pytest.param(
            entry(9, [BACK, HIP], sudden=True, affects_life=True, fall=True, stooping=True),
            [
                "sudden_back_pain",
                "pain_affecting_sleep_or_daily_life",
                "fall_or_suspected_fracture",
                "height_loss_or_stooping",
            ],
            id="all_four_in_the_guides_order",
        ),
    ],
)
def test_red_flags_fire_on_the_guides_signs_and_not_on_near_misses(e, expected):
    assert codes(e) == expected


def test_every_red_flag_has_a_plain_message_for_the_patient():
    all_flags = red_flags(
        entry(9, [BACK, HIP], sudden=True, affects_life=True, fall=True, stooping=True)
    )
    assert all_flags == RED_FLAGS
    for flag in all_flags:
        assert flag.message.endswith(".")
        assert "_" not in flag.message
    assert red_flags(entry(3, [BACK], sudden=True))[0].message == (
        "Sudden back pain without a clear injury can be a compression fracture."
    )


def test_contact_message_tells_the_patient_to_contact_the_clinic_or_seek_urgent_care():
    assert "contact the clinic" in CONTACT_CLINIC_MESSAGE
    assert "urgent care" in CONTACT_CLINIC_MESSAGE
    assert "fallen" in CONTACT_CLINIC_MESSAGE


@pytest.mark.parametrize(
    ("e", "expected"),
    [
        pytest.param(entry(), set(), id="nothing_reported"),
        pytest.param(entry(3, [BACK]), {"back_pain"}, id="back_pain"),
        pytest.param(entry(0, [BACK]), set(), id="back_ticked_with_pain_0"),
        pytest.param(entry(3, [HIP]), set(), id="hip_pain_alone"),
        pytest.param(entry(3, [OTHER]), set(), id="other_pain_alone"),
        pytest.param(entry(2, [NECK]), {"postural_change"}, id="neck_shoulder_pain"),
        pytest.param(entry(0, [NECK]), set(), id="neck_ticked_with_pain_0"),
        pytest.param(entry(3, [BACK, NECK]), {"back_pain", "postural_change"}, id="back_and_neck"),
        pytest.param(
            entry(stooping=True), {"postural_change", "red_flags"}, id="stooping_is_postural"
        ),
        pytest.param(entry(fall=True), {"red_flags"}, id="fall"),
        pytest.param(
            entry(7, [BACK], sudden=True), {"back_pain", "red_flags"}, id="sudden_back_pain"
        ),
        pytest.param(
            entry(5, [HIP], affects_life=True), {"red_flags"}, id="hip_pain_affecting_life"
        ),
    ],
)
def test_findings_name_back_pain_postural_change_and_red_flags(e, expected):
    assert findings(e) == expected
    assert findings(e) <= FINDINGS


@pytest.mark.parametrize("pain", [0, 1, 5, 10])
def test_pain_on_the_0_to_10_scale_is_accepted(pain):
    validate_pain(pain)
    assert entry(pain, [BACK]).pain == pain


@pytest.mark.parametrize("pain", [-1, 11, 100])
def test_pain_outside_0_to_10_is_rejected(pain):
    with pytest.raises(ValueError, match=f"from 0 to 10, not {pain}"):
        validate_pain(pain)
    with pytest.raises(ValueError):
        entry(pain, [BACK])


@pytest.mark.parametrize("pain", [2.5, True, "3", None])
def test_pain_that_is_not_a_whole_number_is_rejected(pain):
    with pytest.raises(TypeError, match="whole number from 0 to 10"):
        validate_pain(pain)
    with pytest.raises(TypeError):
        entry(pain, [BACK])
