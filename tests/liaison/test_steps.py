"""Which steps of an episode are due or late on a day (liaison.steps)."""

import datetime

from liaison.steps import ASSESSMENT, CONTACT_16, CONTACT_52, DXA, StepState, due_steps

FRACTURE = datetime.date(2025, 1, 1)


def day(n: int) -> datetime.date:
    return FRACTURE + datetime.timedelta(days=n)


def due(state: StepState, today_n: int, window: int = 84) -> list[tuple[str, datetime.date, bool]]:
    return [(d.step, d.due_by, d.late) for d in due_steps(state, today=day(today_n), window=window)]


def test_assessment_is_due_at_once_and_late_after_the_window():
    fresh = StepState(FRACTURE)
    assert due(fresh, 3) == [(ASSESSMENT, day(84), False)]
    assert due(fresh, 84) == [(ASSESSMENT, day(84), False)]
    assert due(fresh, 85) == [(ASSESSMENT, day(84), True)]
    assert due(fresh, 91, window=90) == [(ASSESSMENT, day(90), True)]


def test_a_recommended_dxa_is_due_until_done():
    recommended = StepState(FRACTURE, assessment_recorded=True, dxa_recommended=True)
    assert due(recommended, 20) == [(DXA, day(84), False)]
    done = StepState(FRACTURE, assessment_recorded=True, dxa_recommended=True, dxa_done=True)
    assert due(done, 20) == []


def test_contacts_come_two_weeks_before_their_point_and_are_late_after_it():
    assessed = StepState(FRACTURE, assessment_recorded=True)
    assert due(assessed, 97) == []
    assert due(assessed, 98) == [(CONTACT_16, day(112), False)]
    assert due(assessed, 113) == [(CONTACT_16, day(112), True)]
    contacted = StepState(FRACTURE, assessment_recorded=True, contact_16_recorded=True)
    assert due(contacted, 349) == []
    assert due(contacted, 350) == [(CONTACT_52, day(364), False)]
    assert due(contacted, 365) == [(CONTACT_52, day(364), True)]


def test_a_closed_episode_has_nothing_due():
    assert due(StepState(FRACTURE, open=False), 400) == []
