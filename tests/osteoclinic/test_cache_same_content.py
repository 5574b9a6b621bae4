"""Every page of every role reads the same with the page parts' cache on and off.

Each page the access table shows a role is opened on the demo clinic three times: on the plain
path (PAGE_PARTS_CACHE off), with the cache on and empty (its parts rendered and stored), and
again (its parts served from the cache). Each request runs in a transaction rolled back after
it, at one frozen instant, so the access log, the session and the clock are the same for all
three; what changes from one request to the next by design (the tokens of its forms) is masked
before the pages are compared.
"""

import datetime
import difflib
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.test import Client, override_settings

from patients.models import Patient
from tests.access_table import ACCESS, OK, ROLES
from tests.conftest import make_caregiver
from tests.demo_clinic import demo_clinic, page_paths

# Values each request makes anew: the CSRF token (masked anew on every page), a create form's
# one-time token and the time an edit form was opened (patients/submissions.py,
# patients/concurrency.py).
PER_REQUEST = tuple(
    (re.compile(rf'(name="{name}" value=")[^"]+'), r"\1…")
    for name in ("csrfmiddlewaretoken", "submission_token", "loaded_version")
)
# Pages that hold cached parts (or a cached export): each must be among those compared.
CACHED = (
    "home",
    "patient_list",
    "patient_record",
    "portal:home",
    "exchange:export_fhir",
    "liaison:kpis",
)


def masked(body: bytes) -> str:
    text = body.decode(errors="replace")
    for pattern, mask in PER_REQUEST:
        text = pattern.sub(mask, text)
    return text


def opened(client: Client, path: str) -> tuple[int, str]:
    """The page, as its request saw the database; nothing it wrote is kept."""
    with transaction.atomic():
        response = client.get(path)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    return response.status_code, masked(body)


def difference(first: str, second: str) -> str:
    lines = difflib.unified_diff(first.splitlines(), second.splitlines(), lineterm="", n=1)
    return "\n".join(list(lines)[:30])


@pytest.mark.django_db
def test_every_page_of_every_role_reads_the_same_with_the_cache_on_and_off(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        world = demo_clinic()
    # Education pages are attached once the seeding commits (here: once its callbacks ran).
    world["attachment"] = world["paula"].education.order_by("pk").first()
    make_caregiver("carol", world["paula"])
    make_caregiver("cora", world["pete"])
    paths = page_paths(world)
    assert set(CACHED) <= set(paths)
    compared, problems = set(), []
    with time_machine.travel(datetime.datetime.now().astimezone(), tick=False):
        for role in ROLES:
            client = Client()
            if role != "anonymous":
                client.force_login(User.objects.get(username=role))
            for name, path in paths.items():
                if ACCESS[name].expected(role) != OK:
                    continue
                cache.clear()
                with override_settings(PAGE_PARTS_CACHE=False):
                    plain = opened(client, path)
                cache.clear()
                for way in ("rendered into the cache", "served from the cache"):
                    cached = opened(client, path)
                    if cached != plain:
                        problems.append(
                            f"{role} {name} {path}, {way}: {plain[0]} plain, {cached[0]} cached\n"
                            + difference(plain[1], cached[1])
                        )
                compared.add(name)
    assert set(CACHED) <= compared
    assert len(compared) > 60, f"only {len(compared)} pages compared"
    assert not problems, f"{len(problems)} pages differ:\n" + "\n\n".join(problems)


@pytest.mark.django_db
def test_the_comparison_sees_a_cached_part_that_is_out_of_date(client, alice):
    """A part served from the cache after a change that does not move its version on (a
    queryset update writes no history) differs from the plain path, and the test says so."""
    patient = Patient.objects.create(
        mrn="OLD-1",
        family_name="Before",
        given_name="Ann",
        date_of_birth="1950-01-01",
        sex="female",
    )
    client.force_login(alice)
    opened(client, "/patients/")
    Patient.objects.filter(pk=patient.pk).update(family_name="After")
    served = opened(client, "/patients/")
    with override_settings(PAGE_PARTS_CACHE=False):
        plain = opened(client, "/patients/")
    assert "Before" in served[1] and "After" in plain[1]
    assert served != plain
