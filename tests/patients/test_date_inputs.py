"""Date fields are typed and shown as YYYY-MM-DD, as their help says, on every browser."""

import datetime
import re

import pytest
from django.urls import reverse

from patients.models import Patient

pytestmark = pytest.mark.django_db

DATE_INPUT = re.compile(r"<input[^>]*placeholder=\"YYYY-MM-DD\"[^>]*>")


def date_inputs(page: str) -> list[str]:
    return DATE_INPUT.findall(page)


@pytest.mark.parametrize(
    ("url_name", "fields"),
    [
        ("patients:edit", {"date_of_birth"}),
        ("patients:fracture_create", {"date"}),
        ("patients:height_create", {"date"}),
        ("patients:treatment_create", {"start", "stop"}),
        ("patients:symptom_create", {"reported_on"}),
        ("scans:scan_create", {"date"}),
        ("scans:frax_create", {"date"}),
    ],
)
def test_every_date_field_is_a_yyyy_mm_dd_text_field(alice, paula, client_for, url_name, fields):
    page = client_for(alice).get(reverse(url_name, args=[paula.pk])).content.decode()
    assert 'type="date"' not in page
    inputs = date_inputs(page)
    named = {re.search(r'name="([^"]+)"', tag).group(1) for tag in inputs}
    assert named == fields
    for tag in inputs:
        assert 'type="text"' in tag and r'pattern="\d{4}-\d{2}-\d{2}"' in tag


def test_a_stored_date_is_shown_as_yyyy_mm_dd_and_a_typed_one_is_saved(alice, paula, client_for):
    client = client_for(alice)
    page = client.get(reverse("patients:edit", args=[paula.pk])).content.decode()
    (tag,) = [tag for tag in date_inputs(page) if 'name="date_of_birth"' in tag]
    assert 'value="1955-04-12"' in tag

    form = client.get(reverse("patients:height_create", args=[paula.pk])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"date": "2024-03-01", "cm": "162.5"})
    response = client.post(reverse("patients:height_create", args=[paula.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Patient.objects.get(pk=paula.pk).heights.get().date == datetime.date(2024, 3, 1)
