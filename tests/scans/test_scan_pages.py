"""Logging, editing, reviewing and withdrawing scans through the clinician pages."""

import datetime

import pytest
from django.urls import reverse

from scans.models import DexaScan, SiteMeasurement


def scan_post(device, date="2024-05-06", rows=None, **scan_fields):
    """The form data of the scan page: its header and up to six site rows."""
    rows = rows or [{"site": "lumbar_spine", "bmd": "0.812", "t_score": "-2.7"}]
    data = {
        "device": device.pk,
        "date": date,
        "operator": "RT Jones",
        "reference_database": "",
        "notes": "",
        "sites-TOTAL_FORMS": "6",
        "sites-INITIAL_FORMS": "0",
        "sites-MIN_NUM_FORMS": "0",
        "sites-MAX_NUM_FORMS": "1000",
    }
    data.update(scan_fields)
    for index in range(6):
        row = rows[index] if index < len(rows) else {}
        for name in ("site", "side", "vertebrae", "bmd", "t_score", "z_score"):
            data[f"sites-{index}-{name}"] = row.get(name, "")
    return data


THREE_SITES = [
    {
        "site": "lumbar_spine",
        "vertebrae": "L1-L4",
        "bmd": "0.812",
        "t_score": "−2.7",
        "z_score": "-1.1",
    },
    {"site": "femoral_neck", "side": "left", "bmd": "0.598", "t_score": "-2.2"},
    {"site": "total_hip", "side": "left", "bmd": "0.701", "t_score": "-2.0"},
]


def test_alice_logs_a_three_site_scan_and_it_is_stored_as_typed(client, alice, paula, hologic):
    client.force_login(alice)
    url = reverse("scans:scan_create", args=[paula.pk])
    response = client.post(url, scan_post(hologic, rows=THREE_SITES))
    assert response.status_code == 302
    assert response["Location"] == paula.get_absolute_url()
    scan = DexaScan.objects.get(patient=paula)
    assert (scan.date, scan.device, scan.operator, scan.status) == (
        datetime.date(2024, 5, 6),
        hologic,
        "RT Jones",
        "draft",
    )
    stored = {
        (m.site, m.side): (str(m.bmd), str(m.t_score), m.z_score and str(m.z_score), m.vertebrae)
        for m in scan.measurements.all()
    }
    assert stored == {
        ("lumbar_spine", ""): ("0.812", "-2.7", "-1.1", "L1-L4"),
        ("femoral_neck", "left"): ("0.598", "-2.2", None, ""),
        ("total_hip", "left"): ("0.701", "-2.0", None, ""),
    }
    page = client.get(paula.get_absolute_url()).content.decode()
    assert "0.598" in page and "Femoral neck (left)" in page


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        (
            {"site": "lumbar_spine", "bmd": "0.812", "t_score": "-12.0"},
            "t_score",
            "T-score −12.0 is outside −8.0…+6.0 — check the report.",
        ),
        (
            {"site": "lumbar_spine", "bmd": "3.100", "t_score": "-1.0"},
            "bmd",
            "BMD 3.100 g/cm² is outside 0.100…2.500 g/cm² — check the report.",
        ),
        (
            {"site": "lumbar_spine", "bmd": "abc", "t_score": "-1.0"},
            "bmd",
            "BMD: “abc” is not a number",
        ),
        (
            {"site": "total_hip", "bmd": "0.812", "t_score": "-1.0"},
            "side",
            "Choose left or right for the total hip.",
        ),
        (
            {"site": "lumbar_spine", "side": "left", "bmd": "0.812", "t_score": "-1.0"},
            "side",
            "The lumbar spine has no side",
        ),
        ({"site": "lumbar_spine", "bmd": "0.812"}, "t_score", "This field is required."),
    ],
)
def test_a_bad_value_is_named_at_its_field_and_nothing_is_saved(
    client, alice, paula, hologic, row, field, message
):
    client.force_login(alice)
    response = client.post(
        reverse("scans:scan_create", args=[paula.pk]), scan_post(hologic, rows=[row])
    )
    assert response.status_code == 200
    errors = response.context["formset"].forms[0].errors[field]
    assert any(message in error for error in errors), errors
    assert not DexaScan.objects.exists()
    # What was typed is still in the form.
    assert f'value="{row["bmd"]}"' in response.content.decode()


def test_a_second_scan_on_the_same_device_and_day_is_refused(client, alice, paula_scan):
    client.force_login(alice)
    data = scan_post(paula_scan.device, date="2023-03-03")
    response = client.post(reverse("scans:scan_create", args=[paula_scan.patient.pk]), data)
    assert response.context["form"].errors["date"] == [
        "This patient already has a scan on 2023-03-03 on this device."
    ]
    assert DexaScan.objects.count() == 1


def test_a_scan_before_birth_is_refused_with_the_reason(client, alice, paula, hologic):
    client.force_login(alice)
    response = client.post(
        reverse("scans:scan_create", args=[paula.pk]), scan_post(hologic, date="1950-01-01")
    )
    assert response.context["form"].errors["date"] == [
        "Date of birth (1955-04-12) is after the scan date."
    ]


def test_a_scan_needs_at_least_one_site(client, alice, paula, hologic):
    client.force_login(alice)
    data = scan_post(hologic, rows=[{"site": "lumbar_spine"}])
    response = client.post(reverse("scans:scan_create", args=[paula.pk]), data)
    assert "Enter at least one site" in response.content.decode()
    assert not DexaScan.objects.exists()


def test_the_same_site_twice_is_refused(client, alice, paula, hologic):
    client.force_login(alice)
    row = {"site": "total_hip", "side": "left", "bmd": "0.7", "t_score": "-2"}
    response = client.post(
        reverse("scans:scan_create", args=[paula.pk]), scan_post(hologic, rows=[row, row])
    )
    assert "already entered above" in response.content.decode()
    assert not SiteMeasurement.objects.exists()


def test_editing_a_scan_changes_its_values_and_keeps_history(client, alice, paula_scan):
    client.force_login(alice)
    measurement = paula_scan.measurements.get()
    data = scan_post(
        paula_scan.device,
        date="2023-03-03",
        **{
            "sites-TOTAL_FORMS": "3",
            "sites-INITIAL_FORMS": "1",
        },
    )
    data.update(
        {
            "sites-0-id": measurement.pk,
            "sites-0-scan": paula_scan.pk,
            "sites-0-site": "lumbar_spine",
            "sites-0-bmd": "0.822",
            "sites-0-t_score": "-2.6",
        }
    )
    response = client.post(reverse("scans:scan_edit", args=[paula_scan.pk]), data)
    assert response.status_code == 302
    measurement.refresh_from_db()
    assert str(measurement.bmd) == "0.822"
    latest = measurement.history.first()
    assert latest.history_user == alice
    assert str(latest.prev_record.bmd) == "0.812"


def decide(client, scan, action="release", **fields):
    """Open the scan's review page and take the decision there, as a clinician does."""
    url = reverse("scans:scan_review", args=[scan.pk])
    opened = client.get(url).context["form"]["opened"].value()
    return client.post(url, {"action": action, "opened": opened, **fields})


def test_review_and_release_record_who_and_when(client, alice, paula_scan):
    client.force_login(alice)
    decide(client, paula_scan)
    paula_scan.refresh_from_db()
    assert paula_scan.status == "released"
    assert paula_scan.reviewed_by == alice and paula_scan.reviewed_at is not None


def test_review_never_redirects_off_site(client, alice, paula_scan):
    client.force_login(alice)
    response = decide(client, paula_scan, "review", next="https://evil.example/")
    assert response["Location"] == paula_scan.patient.get_absolute_url()


def test_entered_in_error_needs_a_reason_and_keeps_the_row(client, alice, paula_scan):
    client.force_login(alice)
    url = reverse("scans:scan_error", args=[paula_scan.pk])
    response = client.post(url, {"reason": "  "})
    assert response.context["form"].errors["reason"] == ["Say why this record is wrong."]
    client.post(url, {"reason": "Belongs to another patient"})
    paula_scan.refresh_from_db()
    assert paula_scan.entered_in_error and paula_scan.error_reason == "Belongs to another patient"
    assert DexaScan.objects.count() == 1
    page = client.get(paula_scan.patient.get_absolute_url()).content.decode()
    assert "0.812" not in page


def test_a_device_with_a_taken_serial_is_refused(client, alice, hologic):
    client.force_login(alice)
    response = client.post(
        reverse("scans:device_create"),
        {"manufacturer": "hologic", "serial": "hz-100", "active": "on"},
    )
    assert "serial hz-100 is already registered" in response.content.decode()


def test_changing_a_released_scan_sends_it_back_to_draft_and_out_of_the_portal(
    client, alice, paula_scan
):
    client.force_login(alice)
    decide(client, paula_scan)
    measurement = paula_scan.measurements.get()
    data = scan_post(
        paula_scan.device,
        date="2023-03-03",
        **{
            "sites-TOTAL_FORMS": "1",
            "sites-INITIAL_FORMS": "1",
        },
    )
    data.update(
        {
            "sites-0-id": measurement.pk,
            "sites-0-scan": paula_scan.pk,
            "sites-0-site": "lumbar_spine",
            "sites-0-bmd": "0.812",
            "sites-0-t_score": "-4.0",
        }
    )
    response = client.post(reverse("scans:scan_edit", args=[paula_scan.pk]), data, follow=True)
    assert "back to draft" in response.content.decode()
    paula_scan.refresh_from_db()
    assert (paula_scan.status, paula_scan.reviewed_by) == ("draft", None)
    client.force_login(paula_scan.patient.user)
    assert "−4.0" not in client.get(reverse("portal:home")).content.decode()


def test_a_scan_entered_in_error_cannot_be_edited_or_released(client, alice, paula_scan):
    paula_scan.mark_entered_in_error("wrong patient")
    client.force_login(alice)
    assert client.get(reverse("scans:scan_edit", args=[paula_scan.pk])).status_code == 404
    release = client.post(reverse("scans:scan_review", args=[paula_scan.pk]), {"action": "release"})
    assert release.status_code == 404
    assert client.get(reverse("scans:scan_detail", args=[paula_scan.pk])).status_code == 200
    paula_scan.refresh_from_db()
    assert paula_scan.status == "draft"


def test_the_scan_form_renders_its_sites_the_same_on_every_request():
    """An inline formset adds its foreign key to the form's fields; building the form again
    must not change what the next request renders (the order of the hidden inputs)."""
    from scans.forms import MeasurementForm, measurement_formset

    first = str(measurement_formset())
    fields = tuple(MeasurementForm._meta.fields)
    second = str(measurement_formset())
    assert tuple(MeasurementForm._meta.fields) == fields
    assert first == second
