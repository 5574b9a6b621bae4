"""The clinic's details: edited by a superuser, shown on every portal page and with every red
flag, so "contact the clinic" always says how."""

import pytest
from django.urls import reverse

from patients.models import ClinicDetails
from tests.access_table import ACCESS, OK
from tests.test_access_table import access_objects  # noqa: F401 - the records the URLs name


@pytest.fixture
def clinic(db):
    clinic = ClinicDetails.current()
    clinic.name = "Riverside Bone Clinic"
    clinic.phone = "020 7946 0123"
    clinic.email = "bones@riverside.example"
    clinic.address = "1 River Road\nLondon"
    clinic.hours = "Monday to Friday, 9:00 to 17:00"
    clinic.emergency = "Call 999 or go to the nearest emergency department."
    clinic.save()
    return clinic


def test_every_portal_page_shows_how_to_reach_the_clinic(
    clinic,
    paula,
    client_for,
    access_objects,  # noqa: F811
):
    client = client_for(paula.user)
    world = {"paula": paula, **access_objects}
    pages = [
        name
        for name, row in ACCESS.items()
        if name.startswith("portal:") and row.paula == OK and row.method == "get"
    ]
    assert {"portal:home", "portal:messages", "portal:notifications"} <= set(pages)
    for name in pages:
        response = client.get(reverse(name, kwargs=ACCESS[name].kwargs(world)))
        if response["Content-Type"].startswith("image/"):
            continue
        page = response.content.decode()
        assert 'data-testid="clinic-contact"' in page, name
        assert "020 7946 0123" in page and "Call 999" in page and "1 River Road" in page, name


def test_staff_pages_do_not_carry_the_patients_card(clinic, alice, client_for):
    page = client_for(alice).get(reverse("home")).content.decode()
    assert 'data-testid="clinic-contact"' not in page


def test_a_red_flag_answer_says_how_to_contact_the_clinic(clinic, paula, client_for):
    client = client_for(paula.user)
    url = reverse("portal:symptoms")
    token = client.get(url).context["form"]["submission_token"].value()
    response = client.post(
        url,
        {"pain": "8", "pain_back": "on", "sudden_onset": "on", "submission_token": token},
        follow=True,
    )
    page = response.content.decode()
    assert "Please contact the clinic" in page
    assert (
        "Contact Riverside Bone Clinic: phone 020 7946 0123 or email bones@riverside.example, "
        "or send a message from the portal."
    ) in page


def test_a_superuser_edits_the_details_in_the_admin_and_a_clinician_cannot(
    clinic, admin_user, alice, client_for
):
    client = client_for(admin_user)
    listing = client.get(reverse("admin:patients_clinicdetails_changelist"))
    change = reverse("admin:patients_clinicdetails_change", args=[clinic.pk])
    assert listing["Location"] == change
    form = client.get(change).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"phone": "020 7946 0999", "release_rule": "at_once", "release_after_days": "7"})
    response = client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    clinic.refresh_from_db()
    assert (clinic.phone, clinic.release_rule) == ("020 7946 0999", "at_once")
    assert clinic.history.first().history_username == "admin"
    assert client.post(reverse("admin:patients_clinicdetails_add"), data).status_code == 403
    delete = reverse("admin:patients_clinicdetails_delete", args=[clinic.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403

    response = client_for(alice).get(change)
    assert response.status_code == 302  # clinicians are not staff: the admin's sign-in


def test_the_first_visit_to_the_clinic_details_in_the_admin_adds_them(admin_user, client_for):
    client = client_for(admin_user)
    listing = client.get(reverse("admin:patients_clinicdetails_changelist"))
    add = reverse("admin:patients_clinicdetails_add")
    assert listing["Location"] == add
    form = client.get(add).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"name": "Riverside Bone Clinic", "phone": "020 7946 0123"})
    assert client.post(add, data).status_code == 302
    assert ClinicDetails.current().phone == "020 7946 0123"
    assert client.get(add).status_code == 403  # one record: it is changed from now on
