"""The change history of a patient's record: who changed what, from what, to what."""

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from patients.models import Fracture, FractureSite, HeightMeasurement, Mechanism, Treatment
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db


def history_url(patient) -> str:
    return reverse("patients:history", kwargs={"pk": patient.pk})


def edit_patient(client, patient, **changes):
    data = {
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "date_of_birth": f"{patient.date_of_birth}",
        "sex": patient.sex,
        "menopause": patient.menopause,
    }
    data.update(changes)
    response = client.post(reverse("patients:edit", kwargs={"pk": patient.pk}), data)
    assert response.status_code == 302, response.context["form"].errors


def wrist_fracture(patient) -> Fracture:
    return Fracture.objects.create(
        patient=patient,
        date=datetime.date(2022, 6, 1),
        site=FractureSite.WRIST,
        mechanism=Mechanism.FRAGILITY,
    )


def test_an_edit_by_alice_shows_her_name_and_the_change(alice, paula, client_for):
    client = client_for(alice)
    edit_patient(client, paula, family_name="Fischer-Braun", smoking="on")

    response = client.get(history_url(paula))

    latest = response.context["page"].object_list[0]
    assert latest.who == "alice"
    assert latest.record == "Patient details"
    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("family name", "Fischer", "Fischer-Braun"),
        ("current smoker", "no", "yes"),
    ]
    html = response.content.decode()
    assert "alice" in html
    assert "Family name</span>: Fischer → Fischer-Braun" in html


def test_choices_are_shown_by_their_labels(alice, paula, client_for):
    client = client_for(alice)
    edit_patient(client, paula, menopause="peri")

    latest = client.get(history_url(paula)).context["page"].object_list[0]

    assert [(c.label, c.old, c.new) for c in latest.changes] == [
        ("menopausal status", "Postmenopausal", "Perimenopausal")
    ]


def test_the_history_covers_fractures_heights_and_treatments_newest_first(alice, paula, client_for):
    client = client_for(alice)
    client.post(
        reverse("patients:fracture_create", kwargs={"pk": paula.pk}),
        {
            "date": "2022-06-01",
            "date_precision": "day",
            "site": "wrist",
            "mechanism": "fragility",
            "detection": "clinical",
        },
    )
    client.post(
        reverse("patients:height_create", kwargs={"pk": paula.pk}),
        {"date": "2024-01-10", "cm": "158.5", "measured": "on"},
    )
    client.post(
        reverse("patients:treatment_create", kwargs={"pk": paula.pk}),
        {"drug_class": "denosumab", "name": "denosumab", "start": "2024-02-01"},
    )

    entries = client.get(history_url(paula)).context["page"].object_list

    assert [(e.record, e.action, e.who) for e in entries] == [
        ("denosumab (Denosumab), 2024-02-01 – ongoing", "Created", "alice"),
        ("158.5 cm (measured) on 2024-01-10", "Created", "alice"),
        ("Wrist / distal radius fracture, 1 June 2022", "Created", "alice"),
        ("Patient details", "Created", ""),
    ]


def test_another_patients_changes_are_not_in_the_history(alice, paula, pete, client_for):
    wrist_fracture(pete)
    client = client_for(alice)
    edit_patient(client, pete, given_name="Peter")

    entries = client.get(history_url(paula)).context["page"].object_list

    assert [e.record for e in entries] == ["Patient details"]


def test_entered_in_error_keeps_the_row_and_the_history_says_why(alice, paula, client_for):
    fracture = wrist_fracture(paula)
    client = client_for(alice)

    client.post(
        reverse("patients:fracture_error", kwargs={"fracture_pk": fracture.pk}),
        {"reason": "X-ray belonged to another patient."},
    )

    assert Fracture.objects.count() == 1
    fracture.refresh_from_db()
    assert fracture.entered_in_error is True
    assert fracture.error_reason == "X-ray belonged to another patient."
    latest = client.get(history_url(paula)).context["page"].object_list[0]
    assert (latest.action, latest.who) == ("Marked as entered in error", "alice")
    assert ("error reason", "—", "X-ray belonged to another patient.") in [
        (c.label, c.old, c.new) for c in latest.changes
    ]


def test_a_fracture_entered_in_error_leaves_the_records_partial(alice, paula, client_for):
    kept = wrist_fracture(paula)
    wrong = Fracture.objects.create(
        patient=paula,
        date=datetime.date(2023, 2, 1),
        site=FractureSite.HIP,
        mechanism=Mechanism.FRAGILITY,
    )
    client_for(alice).post(
        reverse("patients:fracture_error", kwargs={"fracture_pk": wrong.pk}),
        {"reason": "Duplicate entry."},
    )

    html = render_to_string(
        "patients/_fractures.html",
        {"patient": paula, "fractures": Fracture.objects.filter(patient=paula).valid()},
    )

    assert reverse("patients:fracture_edit", kwargs={"fracture_pk": kept.pk}) in html
    assert reverse("patients:fracture_edit", kwargs={"fracture_pk": wrong.pk}) not in html
    assert "Hip" not in html


def test_heights_and_treatments_entered_in_error_leave_their_partials(alice, paula, client_for):
    height = HeightMeasurement.objects.create(
        patient=paula, date=datetime.date(2024, 1, 10), cm=158
    )
    treatment = Treatment.objects.create(
        patient=paula, drug_class="raloxifene", name="raloxifene", start=datetime.date(2020, 1, 1)
    )
    client = client_for(alice)
    client.post(
        reverse("patients:height_error", kwargs={"height_pk": height.pk}), {"reason": "Typo."}
    )
    client.post(
        reverse("patients:treatment_error", kwargs={"treatment_pk": treatment.pk}),
        {"reason": "Wrong patient."},
    )

    heights = render_to_string(
        "patients/_heights.html",
        {"patient": paula, "heights": paula.heights.valid(), "height_loss": None},
    )
    treatments = render_to_string(
        "patients/_treatments.html", {"patient": paula, "treatments": paula.treatments.valid()}
    )

    assert "No heights recorded." in heights
    assert "No treatments recorded." in treatments
    assert HeightMeasurement.objects.count() == Treatment.objects.count() == 1


def test_the_history_is_paginated_newest_first(alice, client_for):
    patient = make_patient("MRN-HIST")
    for number in range(60):
        patient.given_name = f"Name{number:02}"
        patient.save()
    client = client_for(alice)

    first = client.get(history_url(patient)).context["page"]
    second = client.get(history_url(patient), {"page": 2}).context["page"]

    assert first.paginator.count == 61
    assert len(first.object_list) == 50
    assert [(c.old, c.new) for c in first.object_list[0].changes] == [("Name58", "Name59")]
    assert second.object_list[-1].action == "Created"


@pytest.mark.parametrize("versions", [3, 40])
def test_the_history_needs_the_same_queries_however_long(
    versions, alice, paula, client_for, django_assert_max_num_queries
):
    fracture = wrist_fracture(paula)
    height = HeightMeasurement.objects.create(patient=paula, date=datetime.date(2024, 1, 1), cm=160)
    for number in range(versions):
        fracture.notes = f"note {number}"
        fracture.save()
        height.cm = 150 + number
        height.save()
        paula.given_name = f"Paula{number}"
        paula.save()
    client = client_for(alice)

    # Session, user, groups, the patient; count and page of the union; then per kind on the
    # page: its versions with their users, and the versions they follow.
    with django_assert_max_num_queries(6 + 2 * 4):
        response = client.get(history_url(paula))

    assert response.status_code == 200
