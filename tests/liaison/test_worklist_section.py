"""The worklist's fracture liaison section: episodes with a step due or late, each saying why."""

import datetime
import itertools

import pytest
from django.urls import reverse

from liaison.models import Episode, step_state
from liaison.steps import due_steps
from liaison.worklist import due_episodes
from tests.conftest import make_patient
from tests.liaison.records import episode

TODAY = datetime.date.today()


def ago(days: int) -> datetime.date:
    return TODAY - datetime.timedelta(days=days)


def section(response):
    return next(s for s in response.context["sections"] if s.key == "liaison")


def test_the_worklist_lists_due_and_late_steps_with_their_dates(alice, paula, pete, client_for):
    fresh = episode(paula, ago(10), site="hip")
    late = episode(pete, ago(120), risk_assessment="frax", assessed_on=ago(100))
    episode(make_patient("MRN-DONE"), ago(10), risk_assessment="not_done")  # nothing due yet
    episode(make_patient("MRN-SHUT"), ago(200), closed="lost", closed_on=ago(1))

    response = client_for(alice).get(reverse("home"))

    found = section(response)
    assert found.count == 2
    assert [row["object"] for row in found.rows] == [late, fresh]  # oldest fracture first
    assert found.rows[0]["why"] == (
        f"Wrist / distal radius fracture {ago(120):%Y-%m-%d}: "
        f"16-week contact late (was due by {ago(120) + datetime.timedelta(days=112):%Y-%m-%d})"
    )
    assert found.rows[1]["why"] == (
        f"Hip fracture {ago(10):%Y-%m-%d}: Fracture-risk assessment due by "
        f"{ago(10) + datetime.timedelta(days=84):%Y-%m-%d}"
    )
    assert fresh.get_absolute_url() in response.content.decode()


def test_recording_the_step_takes_the_episode_off_the_worklist(alice, paula, client_for):
    item = episode(paula, ago(10))
    client = client_for(alice)
    assert section(client.get(reverse("home"))).count == 1
    client.post(
        reverse("liaison:episode_step", kwargs={"pk": item.pk, "step": "assessment"}),
        {"assessed_on": f"{ago(2)}", "risk_assessment": "frax_bmd"},
    )
    assert section(client.get(reverse("home"))).count == 0


def test_episodes_in_error_leave_the_worklist(alice, paula, client_for):
    episode(paula, ago(10)).mark_entered_in_error("duplicate")
    assert section(client_for(alice).get(reverse("home"))).count == 0


@pytest.mark.django_db
def test_the_database_filter_agrees_with_the_rule_of_steps(paula):
    """Every combination of recorded steps, at fracture ages around each boundary."""
    ages = (0, 84, 85, 97, 98, 112, 113, 349, 350, 364, 365)
    states = itertools.product(("", "frax"), ("", "recommended"), (None, ago(1)), (None, True))
    made = []
    for age, (risk, dxa_plan, dxa_on, contact) in itertools.product(ages, states):
        made.append(
            episode(
                paula,
                ago(age),
                risk_assessment=risk,
                assessed_on=ago(0) if risk else None,
                dxa_plan=dxa_plan,
                dxa_on=dxa_on,
                contact_16_made=contact,
                contact_52_made=contact,
            )
        )
    in_sql = set(due_episodes(TODAY).values_list("pk", flat=True))
    by_rule = {
        e.pk
        for e in Episode.objects.select_related("fracture")
        if due_steps(step_state(e), today=TODAY, window=84)
    }
    assert in_sql == by_rule and len(made) > len(in_sql) > 0


def test_the_worklist_query_count_does_not_grow_with_episodes(
    alice, client_for, django_assert_max_num_queries
):
    client = client_for(alice)
    for index in range(2):
        episode(make_patient(f"FEW-{index}"), ago(10 + index))
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("home"))
    for index in range(40):
        episode(make_patient(f"MANY-{index}"), ago(100 + index))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("home"))
    found = section(response)
    assert found.count == 42 and len(found.rows) == 25 and found.more == 17
