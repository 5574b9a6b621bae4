"""The generated clinic has fracture liaison episodes the forms would have accepted."""

import datetime

import pytest
from django.core.management import call_command
from django.db.models import BooleanField
from django.urls import reverse

from liaison.forms import STEPS
from liaison.models import Episode
from liaison.report import report_build


@pytest.mark.django_db
def test_the_generated_clinic_has_episodes_that_pass_every_step_form(settings, alice, client):
    settings.DEBUG = True
    call_command("generate_clinic", "--patients", "300", "--seed", "7")
    today = datetime.date.today()
    episodes = list(Episode.objects.select_related("fracture", "patient"))
    assert len(episodes) >= 3
    for episode in episodes:
        assert episode.fracture.patient_id == episode.patient_id
        assert episode.fracture.is_fragility
        for name, form_class in STEPS.items():
            data = {field: _posted(episode, field) for field in form_class._meta.fields}
            form = form_class(data, instance=episode)
            assert form.is_valid(), (episode.pk, name, form.errors)
    built = report_build(first=today - datetime.timedelta(days=730), last=today, today=today)
    assert built.results[0].denominator + built.results[0].not_yet_due == len(episodes)
    client.force_login(alice)
    assert client.get(reverse("liaison:kpis")).status_code == 200


def _posted(episode, field: str) -> str:
    """The stored value as a browser would post it back."""
    value = getattr(episode, field)
    if isinstance(Episode._meta.get_field(field), BooleanField):
        return {None: "unknown", True: "true", False: "false"}[value]
    if field == "dxa_scan":
        return "" if value is None else str(value.pk)
    return "" if value is None else str(value)
