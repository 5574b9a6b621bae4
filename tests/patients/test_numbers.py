"""Numbers as reports print them (docs/clinical-rules.md §12): one parser, text fields."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from patients.forms import HEIGHT_RANGE_MESSAGE
from patients.numbers import NumberError, parse_number, split_pasted_line


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("\u22121.9", Decimal("-1.9")),  # the real minus sign
        ("\u20131,9", Decimal("-1.9")),  # en dash and decimal comma
        ("-1.9", Decimal("-1.9")),
        ("+0.5", Decimal("0.5")),
        ("0,812", Decimal("0.812")),
        (" 0.812 ", Decimal("0.812")),
        ("\u2212 2,7", Decimal("-2.7")),
        ("162", Decimal("162")),
        (".5", Decimal("0.5")),
    ],
)
def test_it_reads_a_number_as_the_report_prints_it(typed, value):
    assert parse_number(typed, field="T-score") == value


@pytest.mark.parametrize("typed", ["abc", "1.2.3", "--1", "1e3", "NaN", "0,8,12", "", "−", "1 ,"])
def test_anything_else_is_refused_with_the_field_and_the_value_typed(typed):
    with pytest.raises(NumberError) as error:
        parse_number(typed, field="T-score")
    assert str(error.value).startswith(f"T-score: “{typed.strip()}” is not a number")


@pytest.mark.parametrize(
    ("line", "cells"),
    [
        ("0.812, 0.815", ["0.812", "0.815"]),
        ("0.812,0.815", ["0.812", "0.815"]),
        ("0,812 0,815", ["0,812", "0,815"]),
        ("0,812;0,815;0,809", ["0,812", "0,815", "0,809"]),
        ("0,812\t0,815", ["0,812", "0,815"]),
        ("0.812 0.815", ["0.812", "0.815"]),
    ],
)
def test_a_pasted_line_splits_into_its_values_whatever_the_decimal_mark(line, cells):
    assert split_pasted_line(line) == cells


def _number_inputs(html: str, names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        match = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', html)
        assert match, f"no input named {name}"
        found[name] = match.group(0)
    return found


def _assert_text_decimal(inputs: dict[str, str]) -> None:
    for name, tag in inputs.items():
        assert 'type="text"' in tag and 'inputmode="decimal"' in tag, (name, tag)
        assert 'type="number"' not in tag


def test_the_scan_form_has_text_inputs_with_the_decimal_keyboard(client, alice, paula):
    client.force_login(alice)
    html = client.get(reverse("scans:scan_create", args=[paula.pk])).content.decode()
    names = [f"sites-0-{n}" for n in ("bmd", "t_score", "z_score", "bmc", "area")]
    names += [f"vertebrae-l{level}_{n}" for level in (1, 4) for n in ("bmd", "t_score", "bmc")]
    _assert_text_decimal(_number_inputs(html, names))
    assert 'type="number"' not in html


@pytest.mark.parametrize(
    ("url_name", "names"),
    [
        ("patients:height_create", ["cm"]),
        ("scans:frax_create", ["major_osteoporotic", "hip"]),
        ("patients:edit", ["glucocorticoid_dose_mg"]),
    ],
)
def test_every_clinical_number_field_is_a_decimal_text_input(client, alice, paula, url_name, names):
    client.force_login(alice)
    html = client.get(reverse(url_name, args=[paula.pk])).content.decode()
    _assert_text_decimal(_number_inputs(html, names))
    assert 'type="number"' not in html


def test_the_admin_renders_clinical_numbers_as_decimal_text_inputs(client, admin_user, paula_scan):
    from patients.models import HeightMeasurement

    height = HeightMeasurement.objects.create(patient=paula_scan.patient, date="2024-01-01", cm=160)
    client.force_login(admin_user)
    pages = {
        reverse("admin:scans_dexascan_change", args=[paula_scan.pk]): [
            "measurements-0-bmd",
            "measurements-0-t_score",
            "measurements-0-bmc",
        ],
        reverse("admin:patients_patient_change", args=[paula_scan.patient.pk]): [
            "glucocorticoid_dose_mg"
        ],
        reverse("admin:patients_heightmeasurement_change", args=[height.pk]): ["cm"],
    }
    for url, names in pages.items():
        html = client.get(url).content.decode()
        _assert_text_decimal(_number_inputs(html, names))


def test_a_height_typed_with_a_decimal_comma_is_stored(client, alice, paula):
    client.force_login(alice)
    response = client.post(
        reverse("patients:height_create", args=[paula.pk]),
        {"date": "2024-02-05", "cm": " 162,5 ", "measured": "on"},
    )
    assert response.status_code == 302
    assert paula.heights.get().cm == Decimal("162.5")


def test_a_frax_value_that_is_not_a_number_is_named_with_what_was_typed(client, alice, paula):
    client.force_login(alice)
    response = client.post(
        reverse("scans:frax_create", args=[paula.pk]),
        {"date": "2024-02-05", "major_osteoporotic": "twelve", "hip": "3,1"},
    )
    assert response.status_code == 200
    [message] = response.context["form"].errors["major_osteoporotic"]
    assert "“twelve” is not a number" in message


def test_a_number_past_28_digits_is_refused_as_too_large_not_a_crash():
    from django.core.exceptions import ValidationError

    from patients.numbers import ReportNumberField

    field = ReportNumberField(what="Dose", unit=" mg", max_digits=6, decimal_places=2)
    with pytest.raises(ValidationError, match="too large"):
        field.clean("1" + "0" * 27)


def test_a_number_longer_than_the_decimal_precision_is_refused_with_a_message(client, alice, paula):
    client.force_login(alice)
    url = reverse("patients:height_create", args=[paula.pk])
    response = client.post(url, {"date": "2024-02-03", "cm": "1" + "0" * 27, "measured": "on"})
    assert response.status_code == 200
    assert response.context["form"].errors["cm"] == [HEIGHT_RANGE_MESSAGE], response.context[
        "form"
    ].errors
