"""Pages with patient data are never kept by a browser: a shared computer cannot show them again
after sign-out."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("alice", lambda p: reverse("patient_record", args=[p.pk])),
        ("alice", lambda p: reverse("patients:edit", args=[p.pk])),
        ("alice", lambda p: reverse("patient_list")),
        ("alice", lambda p: reverse("scans:chart", args=[p.pk, "bmd"])),
        ("alice", lambda p: reverse("exchange:export_patient_csv", args=[p.pk])),
        ("paula", lambda p: reverse("portal:home")),
        ("paula", lambda p: reverse("portal:symptoms")),
        ("paula", lambda p: reverse("portal:pain_chart")),
        ("admin", lambda p: reverse("admin:patients_patient_change", args=[p.pk])),
    ],
)
def test_a_page_with_patient_data_says_no_store(who, url, alice, admin_user, paula_scan, client):
    paula = paula_scan.patient
    client.force_login({"alice": alice, "paula": paula.user, "admin": admin_user}[who])
    response = client.get(url(paula))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_the_invitation_page_says_no_store_before_anyone_signs_in(client, db):
    response = client.get(reverse("patients:invitation_accept", args=["MQ", "not-a-token"]))
    assert "no-store" in response["Cache-Control"]
