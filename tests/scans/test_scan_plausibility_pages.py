"""Plausibility before saving on the scan form and the edit form (docs/clinical-rules.md §13),
vertebrae, BMC and area, and the learned lines on the scanner's page."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from scans.models import DexaScan, SiteMeasurement, VertebraMeasurement


def form_data(device, rows, *, date="2024-05-06", vertebrae=None, **extra):
    data = {
        "device": device.pk,
        "date": date,
        "operator": "",
        "reference_database": "",
        "notes": "",
        "sites-TOTAL_FORMS": str(len(rows)),
        "sites-INITIAL_FORMS": "0",
        "sites-MIN_NUM_FORMS": "0",
        "sites-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for name in ("site", "side", "vertebrae", "bmd", "t_score", "z_score", "bmc", "area"):
            data[f"sites-{index}-{name}"] = row.get(name, "")
    for level, values in (vertebrae or {}).items():
        for name, value in values.items():
            data[f"vertebrae-l{level}_{name}"] = value
    data.update(extra)
    return data


def spine(bmd, t_score, **more):
    return {"site": "lumbar_spine", "bmd": bmd, "t_score": t_score, **more}


def hip(bmd, t_score, site="total_hip"):
    return {"site": site, "side": "left", "bmd": bmd, "t_score": t_score}


def released(patient, device, day, rows):
    scan = DexaScan.objects.create(patient=patient, device=device, date=day, status="released")
    for row in rows:
        SiteMeasurement.objects.create(
            scan=scan, side=row.get("side", ""), **{k: v for k, v in row.items() if k != "side"}
        )
    return scan


def post(client, patient, data):
    return client.post(reverse("scans:scan_create", args=[patient.pk]), data)


@pytest.mark.parametrize(
    ("rows", "flagged"),
    [
        ([hip("0.858", "0.3", "femoral_neck")], False),
        ([hip("0.858", "0.4", "femoral_neck")], True),
        ([hip("0.942", "-0.3")], False),
        ([hip("0.400", "-1.0")], True),
    ],
)
def test_the_nhanes_check_holds_back_a_hip_result_beyond_0_3(
    client, alice, paula, hologic, rows, flagged
):
    client.force_login(alice)
    response = post(client, paula, form_data(hologic, rows))
    assert (response.status_code == 200) is flagged
    assert DexaScan.objects.filter(patient=paula).exists() is not flagged
    if flagged:
        page = response.content.decode()
        assert "Check these results against the printed report" in page
        assert "NHANES III" in page and "Checked against the report" in page
        assert response.context["form"].errors["checked"]


@pytest.mark.parametrize(("t_score", "flagged"), [("−1.0", False), ("−1.6", False), ("-0.9", True)])
def test_the_scanners_line_holds_back_a_result_more_than_0_3_off_it(
    client, alice, paula, hologic, line_of_five, t_score, flagged
):
    client.force_login(alice)
    response = post(client, paula, form_data(hologic, [spine("0.870", t_score)]))
    assert DexaScan.objects.filter(patient=paula).exists() is not flagged
    if flagged:
        assert "off this scanner&#x27;s line" in response.content.decode()


def test_the_line_waits_for_five_released_results(client, alice, paula, hologic, line_of_five):
    DexaScan.objects.filter(patient__mrn="LINE-0").update(status="draft")
    client.force_login(alice)
    response = post(client, paula, form_data(hologic, [spine("0.870", "2.0")]))
    assert response.status_code == 302


@pytest.mark.parametrize(("bmd", "flagged"), [("0.900", False), ("0.899", True), ("1.100", False)])
def test_a_change_beyond_ten_percent_a_year_since_the_last_released_scan_is_held_back(
    client, alice, paula, hologic, bmd, flagged
):
    released(paula, hologic, datetime.date(2024, 1, 1), [spine("1.000", "0.0")])
    client.force_login(alice)
    response = post(client, paula, form_data(hologic, [spine(bmd, "0.0")], date="2024-05-06"))
    assert DexaScan.objects.filter(patient=paula).count() == (1 if flagged else 2)
    if flagged:
        assert "since 1.000 g/cm² on 2024-01-01" in response.content.decode()


def test_the_rate_follows_the_setting(client, alice, paula, hologic, settings):
    settings.SCAN_MAX_CHANGE_PERCENT_PER_YEAR = 15
    released(paula, hologic, datetime.date(2024, 1, 1), [spine("1.000", "0.0")])
    client.force_login(alice)
    response = post(client, paula, form_data(hologic, [spine("0.880", "0.0")]))
    assert response.status_code == 302


def test_a_flagged_result_is_saved_once_checked_and_the_check_is_kept_and_shown(
    client, alice, paula, hologic, django_assert_max_num_queries
):
    client.force_login(alice)
    data = form_data(hologic, [hip("0.400", "-1.0")])
    assert post(client, paula, data).status_code == 200
    response = post(client, paula, {**data, "checked": "on"})
    assert response.status_code == 302
    scan = DexaScan.objects.get(patient=paula)
    assert scan.checked_by == "alice" and scan.checked_at is not None
    [warning] = scan.checked_warnings
    assert warning.startswith("Total hip (left): T-score −1.0 does not fit BMD 0.400 g/cm²")
    with django_assert_max_num_queries(20):
        page = client.get(scan.get_absolute_url()).content.decode()
    assert "Checked against the report</strong> by alice on" in page
    assert "T-score −1.0 does not fit BMD 0.400 g/cm²" in page


def test_an_unflagged_scan_keeps_no_check(client, alice, paula, hologic):
    client.force_login(alice)
    post(client, paula, form_data(hologic, [spine("0.812", "-2.7")], checked="on"))
    scan = DexaScan.objects.get(patient=paula)
    assert (scan.checked_warnings, scan.checked_by, scan.checked_at) == ([], "", None)


def _edit_data(scan, rows, **extra):
    data = form_data(scan.device, rows, date=f"{scan.date:%Y-%m-%d}", **extra)
    measurements = list(scan.measurements.all())
    data["sites-INITIAL_FORMS"] = str(len(measurements))
    for index, m in enumerate(measurements):
        data[f"sites-{index}-id"] = m.pk
        data[f"sites-{index}-scan"] = scan.pk
    data["loaded_version"] = scan.updated_at.isoformat()
    return data


def test_the_edit_form_holds_back_a_flagged_change_until_checked(client, alice, paula_scan):
    client.force_login(alice)
    url = reverse("scans:scan_edit", args=[paula_scan.pk])
    # The stored spine result with a total hip added that does not fit its BMD.
    rows = [spine("0.812", "-2.7", vertebrae="L1-L4"), hip("0.400", "-1.0")]
    response = client.post(url, _edit_data(paula_scan, rows))
    assert response.status_code == 200 and response.context["form"].errors["checked"]
    assert paula_scan.measurements.count() == 1

    response = client.post(url, _edit_data(paula_scan, rows, checked="on"))
    assert response.status_code == 302
    paula_scan.refresh_from_db()
    assert paula_scan.measurements.count() == 2 and paula_scan.checked_by == "alice"

    # Saving again with the same, already checked warnings needs no second tick.
    notes = _edit_data(paula_scan, rows, notes="Checked twice.")
    notes["sites-TOTAL_FORMS"] = "2"
    assert client.post(url, notes).status_code == 302


VERTEBRAE = {
    1: {"bmd": "0,801", "t_score": "−1.2", "bmc": "11,92", "area": "14.88"},
    2: {"bmd": "0.795", "t_score": "-1.3", "bmc": "12.40", "area": "15.60"},
    3: {"bmd": "0.688", "t_score": "–2,5", "bmc": "11.10", "area": "16.13"},
    4: {"bmd": "0.823", "t_score": "-1.1"},
}


def test_vertebrae_bmc_and_area_are_stored_and_the_odd_vertebra_is_named(
    client, alice, paula, hologic
):
    client.force_login(alice)
    data = form_data(
        hologic, [spine("0.776", "-2.0", bmc="47.80", area="61,58")], vertebrae=VERTEBRAE
    )
    assert post(client, paula, data).status_code == 302
    scan = DexaScan.objects.get(patient=paula)
    site = scan.measurements.get()
    assert (site.bmc, site.area) == (Decimal("47.80"), Decimal("61.58"))
    stored = {
        v.level: (str(v.bmd), str(v.t_score), v.bmc and str(v.bmc)) for v in scan.vertebrae.all()
    }
    assert stored == {
        1: ("0.801", "-1.2", "11.92"),
        2: ("0.795", "-1.3", "12.40"),
        3: ("0.688", "-2.5", "11.10"),
        4: ("0.823", "-1.1", None),
    }
    page = client.get(scan.get_absolute_url()).content.decode()
    assert "L3 differs from a neighbour by more than 1.0 T-score" in page
    assert "re-analyse L1–L2, L4 on the scanner" in page
    # The program never recomputes the spine's T-score.
    assert scan.measurements.get().t_score == Decimal("-2.0")


def test_a_vertebra_row_without_its_t_score_is_named(client, alice, paula, hologic):
    client.force_login(alice)
    data = form_data(hologic, [spine("0.776", "-2.0")], vertebrae={2: {"bmd": "0.795"}})
    response = post(client, paula, data)
    assert response.status_code == 200
    assert response.context["vertebrae"].errors["l2_t_score"] == [
        "L2: give its T-score too, or clear the row."
    ]
    assert not VertebraMeasurement.objects.exists()


def test_the_scanner_page_shows_each_learned_line(
    client, alice, hologic, line_of_five, django_assert_max_num_queries
):
    client.force_login(alice)
    with django_assert_max_num_queries(10):
        response = client.get(hologic.get_absolute_url())
    [entry] = response.context["lines"]
    assert (entry.site, entry.sex, entry.line.n) == ("Lumbar spine L1–L4", "Female", 5)
    page = response.content.decode()
    assert "<td>1.000</td>" in page and "<td>0.100</td>" in page  # mean and SD
    assert "<td>0.00, 1.000</td>" in page  # residual SD and R²
    assert "used once 5 released results" in page


def test_ticking_the_check_on_an_unchanged_released_scan_keeps_it_released(
    client, alice, paula, hologic
):
    # Stored before the checks existed: released, flagged now, never checked.
    scan = released(paula, hologic, datetime.date(2024, 1, 1), [hip("0.400", "-1.0")])
    client.force_login(alice)
    url = reverse("scans:scan_edit", args=[scan.pk])
    rows = [hip("0.400", "-1.0")]
    assert client.post(url, _edit_data(scan, rows)).status_code == 200
    assert client.post(url, _edit_data(scan, rows, checked="on")).status_code == 302
    scan.refresh_from_db()
    assert scan.status == "released" and scan.checked_by == "alice"


def test_the_edit_form_never_removes_a_stored_result(client, alice, paula_scan):
    client.force_login(alice)
    url = reverse("scans:scan_edit", args=[paula_scan.pk])
    assert "Remove row" not in client.get(url).content.decode()
    rows = [spine("0.812", "-2.7", vertebrae="L1-L4")]
    data = _edit_data(paula_scan, rows)
    data["sites-0-DELETE"] = "on"  # a forged removal: the form has no such field
    client.post(url, data)
    assert paula_scan.measurements.count() == 1
