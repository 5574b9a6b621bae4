"""The patient list: search, filters, sorting, pagination, and a fixed number of queries."""

import datetime

import pytest
from django.urls import reverse

from patients.models import Fracture, FractureSite, Mechanism, Menopause, Sex
from tests.conftest import make_patient

pytestmark = pytest.mark.django_db

LIST_URL = reverse("patient_list")
# Session, user, groups; the clinic's version (the key of the cached page); then the count and
# the page of patients, fracture counts included.
QUERY_BOUND = 6


def names(response) -> list[str]:
    return [f"{p.family_name}, {p.given_name}" for p in response.context["page"]]


def fracture(patient, mechanism=Mechanism.FRAGILITY, **fields) -> Fracture:
    values = {"date": datetime.date(2020, 1, 1), "site": FractureSite.WRIST}
    values.update(fields)
    return Fracture.objects.create(patient=patient, mechanism=mechanism, **values)


@pytest.fixture
def clinic(paula, pete):
    """paula and pete, plus three more with their own fractures and risk factors."""
    ruth = make_patient(
        "MRN-RUTH", family_name="Abara", given_name="Ruth", date_of_birth=datetime.date(1940, 9, 9)
    )
    fracture(ruth, mechanism=Mechanism.HIGH_TRAUMA)
    vera = make_patient(
        "MRN-VERA", family_name="Lindqvist", given_name="Vera", smoking=True, falls_last_year=True
    )
    fracture(vera)
    fracture(vera, site=FractureSite.HIP)
    fracture(vera, entered_in_error=True, error_reason="Duplicate.")
    zoe = make_patient(
        "MRN-ZOE",
        family_name="Zimmer",
        given_name="Zoe",
        date_of_birth=datetime.date(1990, 5, 5),
        menopause=Menopause.PRE,
    )
    fracture(zoe, entered_in_error=True, error_reason="Wrong patient.")
    return {"ruth": ruth, "vera": vera, "zoe": zoe}


def test_the_list_shows_name_mrn_birth_age_sex_and_fracture_count(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL)

    html = response.content.decode()
    assert names(response) == [
        "Abara, Ruth",
        "Fischer, Paula",
        "Lindqvist, Vera",
        "Okafor, Pete",
        "Zimmer, Zoe",
    ]
    vera = next(p for p in response.context["page"] if p.mrn == "MRN-VERA")
    assert vera.fracture_count == 2, "the fracture entered in error is not counted"
    assert "MRN-RUTH" in html
    assert f"1940-09-09 ({clinic['ruth'].age})" in html
    assert "5 patients found." in html


def test_search_by_part_of_a_name(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"q": "lindq"})

    assert names(response) == ["Lindqvist, Vera"]


def test_search_by_mrn_in_any_case(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"q": " mrn-pete "})

    assert names(response) == ["Okafor, Pete"]


def test_search_by_date_of_birth_typed_as_yyyy_mm_dd(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"q": "1940-09-09"})
    assert names(response) == ["Abara, Ruth"]
    page = response.content.decode()
    assert "Name, MRN or date of birth" in page and "YYYY-MM-DD" in page


def test_a_date_of_birth_beside_a_name_narrows_it(alice, clinic, client_for):
    ruth = clinic["ruth"]
    make_patient("MRN-RUTH-2", family_name="Abara", given_name="Rita")
    response = client_for(alice).get(LIST_URL, {"q": "abara 1940-09-09"})
    assert names(response) == [f"Abara, {ruth.given_name}"]
    # A date that is not a real day is searched as text, and finds nobody.
    assert names(client_for(alice).get(LIST_URL, {"q": "1940-02-31"})) == []


def test_a_search_that_matches_nobody_says_so(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"q": "nobody-here"})

    assert names(response) == []
    assert "No patients match." in response.content.decode()
    assert "0 patients found." in response.content.decode()


def test_filter_by_sex(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"sex": Sex.MALE})

    assert names(response) == ["Okafor, Pete"]


def test_filter_has_a_fragility_fracture(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"has_fracture": "fragility"})

    assert names(response) == ["Lindqvist, Vera"]


def test_filter_has_any_fracture_counts_high_trauma_but_not_entered_in_error(
    alice, clinic, client_for
):
    response = client_for(alice).get(LIST_URL, {"has_fracture": "any"})

    assert names(response) == ["Abara, Ruth", "Lindqvist, Vera"]


def test_the_fracture_filter_says_which_fractures_count(alice, client_for):
    html = client_for(alice).get(LIST_URL).content.decode()

    assert "Fractures (not entered in error)" in html
    assert "Has a fragility fracture" in html
    assert "Has any fracture" in html


def test_filter_has_a_risk_factor(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"risk": "on"})

    assert names(response) == ["Lindqvist, Vera"]


def test_filters_combine_with_the_search(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"q": "a", "sex": "female", "has_fracture": "any"})

    assert names(response) == ["Abara, Ruth", "Lindqvist, Vera"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Abara", "Fischer", "Lindqvist", "Okafor", "Zimmer"]),
        ("-name", ["Zimmer", "Okafor", "Lindqvist", "Fischer", "Abara"]),
        ("mrn", ["Fischer", "Okafor", "Abara", "Lindqvist", "Zimmer"]),
        ("-mrn", ["Zimmer", "Lindqvist", "Abara", "Okafor", "Fischer"]),
        ("dob", ["Abara", "Fischer", "Lindqvist", "Okafor", "Zimmer"]),
        ("-dob", ["Zimmer", "Okafor", "Lindqvist", "Fischer", "Abara"]),
    ],
)
def test_sorting(sort, expected, alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"sort": sort})

    assert [name.split(",")[0] for name in names(response)] == expected


@pytest.mark.parametrize("sort", ["password", "user__password", "-id;drop"])
def test_a_sort_outside_the_whitelist_falls_back_to_name(sort, alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"sort": sort})

    assert response.status_code == 200
    assert names(response)[0] == "Abara, Ruth"


def test_thirty_patients_make_two_pages(alice, client_for):
    for number in range(30):
        make_patient(f"MRN-{number:03}", family_name=f"Family{number:02}")
    client = client_for(alice)

    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})

    assert len(names(first)) == 25
    assert names(second) == [f"Family{n:02}, Patient" for n in range(25, 30)]
    assert "30 patients found; page 1 of 2." in first.content.decode()


def test_page_links_keep_the_search_filters_and_sort(alice, client_for):
    for number in range(30):
        make_patient(f"MRN-{number:03}", family_name=f"Family{number:02}", smoking=True)
    response = client_for(alice).get(
        LIST_URL, {"q": "family", "sex": "female", "risk": "on", "sort": "-mrn"}
    )

    html = response.content.decode()
    assert 'href="?q=family&amp;sex=female&amp;risk=on&amp;sort=-mrn&amp;page=2"' in html


def test_sort_links_keep_the_filters_and_go_back_to_page_one(alice, client_for):
    for number in range(30):
        make_patient(f"MRN-{number:03}")
    response = client_for(alice).get(LIST_URL, {"sex": "female", "page": "2"})

    html = response.content.decode()
    assert 'href="?sex=female&amp;sort=mrn"' in html


def test_a_page_number_past_the_end_shows_the_last_page(alice, clinic, client_for):
    response = client_for(alice).get(LIST_URL, {"page": "99"})

    assert response.status_code == 200
    assert response.context["page"].number == 1


@pytest.mark.parametrize("count", [5, 40])
def test_the_list_needs_the_same_queries_for_5_or_40_patients(
    count, alice, client_for, django_assert_max_num_queries
):
    for number in range(count):
        patient = make_patient(f"MRN-{number:03}", smoking=True)
        fracture(patient)
    client = client_for(alice)

    with django_assert_max_num_queries(QUERY_BOUND):
        response = client.get(LIST_URL, {"has_fracture": "fragility", "risk": "on"})

    assert response.context["page"].paginator.count == count
