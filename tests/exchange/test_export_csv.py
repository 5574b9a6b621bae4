"""CSV exports: one patient's measurements, the whole clinic streamed, and the round trip."""

import csv
import datetime
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from scans.models import Device, DexaScan, SiteMeasurement
from tests.conftest import make_patient
from tests.exchange.test_import_pages import confirm, preview


@pytest.fixture
def clinic(paula, pete, hologic):
    """Two patients, two scanners, every site and side, a Z-score missing, a spine on L1,L2,L4."""
    lunar = Device.objects.create(manufacturer="ge_lunar", model="Prodigy", serial="LU-7")
    first = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2022, 3, 1))
    second = DexaScan.objects.create(
        patient=paula, device=hologic, date=datetime.date(2024, 3, 4), status="released"
    )
    withdrawn = DexaScan.objects.create(
        patient=paula, device=lunar, date=datetime.date(2024, 3, 4), entered_in_error=True
    )
    petes = DexaScan.objects.create(patient=pete, device=lunar, date=datetime.date(2023, 9, 9))
    rows = [
        (first, "lumbar_spine", "", "L1,L2,L4", "0.845", "-2.2", "-0.6"),
        (first, "femoral_neck", "left", "", "0.610", "-2.1", None),
        (first, "total_hip", "right", "", "0.720", "-1.8", "-0.4"),
        (second, "lumbar_spine", "", "L1-L4", "0.812", "-2.7", "-1.1"),
        (second, "femoral_neck", "left", "", "0.598", "-2.2", "-0.8"),
        (second, "radius_33", "left", "", "0.655", "-1.1", None),
        (withdrawn, "lumbar_spine", "", "", "0.999", "0.1", None),
        (petes, "total_hip", "left", "", "1.012", "0.4", "0.6"),
    ]
    for scan, site, side, vertebrae, bmd, t_score, z_score in rows:
        SiteMeasurement.objects.create(
            scan=scan,
            site=site,
            side=side,
            vertebrae=vertebrae,
            bmd=bmd,
            t_score=t_score,
            z_score=z_score,
        )


def measurement_set() -> set[tuple]:
    """Every valid measurement, as the values an export must carry."""
    return {
        (
            m.scan.patient.mrn,
            m.scan.date,
            m.scan.device.manufacturer,
            m.scan.device.serial,
            m.site,
            m.side,
            m.vertebrae,
            m.bmd,
            m.t_score,
            m.z_score,
        )
        for m in SiteMeasurement.objects.filter(scan__entered_in_error=False).select_related(
            "scan__patient", "scan__device"
        )
    }


def rows_of(text: str) -> list[dict]:
    assert text.startswith("\ufeff"), "a byte-order mark, so that Excel reads UTF-8"
    return list(csv.DictReader(io.StringIO(text[1:])))


def clinic_export(client) -> str:
    response = client.get(reverse("exchange:export_csv"))
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="osteoclinic-scans-')
    return b"".join(response.streaming_content).decode("utf-8")


def test_a_patient_export_holds_their_valid_measurements_in_the_import_columns(
    client, alice, paula, clinic
):
    client.force_login(alice)
    response = client.get(reverse("exchange:export_patient_csv", args=[paula.pk]))
    assert response["Content-Disposition"] == 'attachment; filename="MRN-PAULA-scans.csv"'
    rows = rows_of(response.content.decode("utf-8"))
    assert list(rows[0]) == [
        "mrn",
        "family_name",
        "given_name",
        "date_of_birth",
        "sex",
        "scan_date",
        "manufacturer",
        "device_serial",
        "site",
        "side",
        "bmd",
        "t_score",
        "z_score",
        "menopause",
        "vertebrae",
        "bmc",
        "area",
        "status",
        "checked_by",
        "checked_at",
        "checked_warnings",
    ]
    assert len(rows) == 6, "the scan entered in error is left out"
    assert {row["mrn"] for row in rows} == {"MRN-PAULA"}
    assert rows[0] == {
        "mrn": "MRN-PAULA",
        "family_name": "Fischer",
        "given_name": "Paula",
        "date_of_birth": "1955-04-12",
        "sex": "female",
        "scan_date": "2022-03-01",
        "manufacturer": "Hologic",
        "device_serial": "HZ-100",
        "site": "femoral_neck",
        "side": "left",
        "bmd": "0.610",
        "t_score": "-2.1",
        "z_score": "",
        "menopause": "post",
        "vertebrae": "",
        "bmc": "",
        "area": "",
        "status": "draft",
        "checked_by": "",
        "checked_at": "",
        "checked_warnings": "",
    }


def test_the_clinic_export_streams_every_valid_measurement(client, alice, clinic):
    client.force_login(alice)
    rows = rows_of(clinic_export(client))
    assert len(rows) == 7
    assert {row["mrn"] for row in rows} == {"MRN-PAULA", "MRN-PETE"}
    assert "0.999" not in {row["bmd"] for row in rows}


def test_the_clinic_export_query_count_does_not_grow_with_measurements(
    client, alice, clinic, django_assert_max_num_queries
):
    client.force_login(alice)
    # One query more than before: the vertebrae, after the site measurements.
    with django_assert_max_num_queries(7):
        clinic_export(client)


def test_an_export_reimports_to_the_same_measurements(client, alice, clinic):
    client.force_login(alice)
    before = measurement_set()
    exported = clinic_export(client)
    # Test-only clean-up: the scans go, patients and scanners stay, then the file comes back.
    SiteMeasurement.objects.all().delete()
    DexaScan.objects.all().delete()

    counts = preview(client, exported, name="export.csv").context["counts"]
    assert (counts.errors, counts.conflicts, counts.new_measurements) == (0, 0, 7)
    assert (counts.new_patients, counts.new_devices, counts.new_scans) == (0, 0, 3)
    confirm(client)

    assert measurement_set() == before


def test_an_export_of_patients_new_to_another_clinic_recreates_them(client, alice, clinic):
    client.force_login(alice)
    exported = clinic_export(client)
    # The same file read by a clinic that has never seen these patients or scanners.
    renamed = exported.replace("MRN-PAULA", "MRN-PAULA-2").replace("MRN-PETE", "MRN-PETE-2")
    renamed = renamed.replace("HZ-100", "HZ-200").replace("LU-7", "LU-8")
    counts = preview(client, renamed, name="export.csv").context["counts"]
    assert (counts.new_patients, counts.new_devices, counts.new_scans) == (2, 2, 3)
    confirm(client)

    def without_mrn_and_serial(rows):
        return {(date, maker, *rest) for _mrn, date, maker, _serial, *rest in rows}

    everything = measurement_set()
    copies = [row for row in everything if row[0].endswith("-2")]
    originals = [row for row in everything if not row[0].endswith("-2")]
    assert len(copies) == len(originals) == 7
    assert without_mrn_and_serial(copies) == without_mrn_and_serial(originals)


def test_a_name_that_looks_like_a_formula_is_defused_and_still_round_trips(client, alice, hologic):
    patient = make_patient("MRN-EVIL", family_name="=HYPERLINK(1)", given_name="+Eve")
    scan = DexaScan.objects.create(patient=patient, device=hologic, date=datetime.date(2024, 1, 2))
    SiteMeasurement.objects.create(scan=scan, site="lumbar_spine", bmd="0.900", t_score="-1.0")
    client.force_login(alice)
    text = client.get(reverse("exchange:export_patient_csv", args=[patient.pk])).content.decode()
    [row] = rows_of(text)
    assert (row["family_name"], row["given_name"]) == ("'=HYPERLINK(1)", "'+Eve")

    counts = preview(client, text, name="evil.csv").context["counts"]
    assert (counts.unchanged, counts.conflicts, counts.errors) == (1, 0, 0)


@pytest.mark.parametrize("name", ["exchange:export_csv", "exchange:export_patient_csv"])
def test_patients_cannot_export(client, paula, name):
    client.force_login(paula.user)
    kwargs = {"pk": paula.pk} if name == "exchange:export_patient_csv" else {}
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 403
