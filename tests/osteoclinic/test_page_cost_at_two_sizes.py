"""What a page costs does not grow with the clinic: its queries are counted in a generated
clinic of 50 patients and again once it has grown to 500.

A page about one patient (the same patient at both sizes) makes the same queries; the lists and
the worklist, which show a page of fixed length, make the same queries whether they choose their
rows among 50 patients or 500. Each page is counted on the plain path (the page parts' cache
off), and with the cache on both when its parts are rendered (an empty cache) and when they are
served from the cache.

The clinic is built once for the module, in a transaction rolled back at its end.
"""

import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from education.services import education_sync
from osteoclinic.generator import MRN_PREFIX, clinic_generate
from osteoclinic.views import PAGE_SIZE
from patients.access import CLINICIANS
from patients.models import Patient
from scans.models import ScanStatus
from tests.conftest import make_user

# The test database is made for the tests that ask for it (the counting happens in `costs`).
pytestmark = pytest.mark.django_db

SIZES = (50, 500)
SEED = 21
# (name, URL name, whose: the measured patient's pk, their latest scan's pk, or nothing)
PER_PATIENT = (
    ("record", "patient_record", "patient"),
    ("summary", "patient_summary", "patient"),
    ("history", "patients:history", "patient"),
    ("T-score chart", "scans:chart", "patient", "tscore"),
    ("BMD chart", "scans:chart", "patient", "bmd"),
    ("FHIR export", "exchange:export_fhir", "patient"),
    ("scan detail", "scans:scan_detail", "scan"),
    ("scan review", "scans:scan_review", "scan"),
)
PORTAL = (
    ("portal home", "portal:home", None),
    ("portal T-score chart", "portal:chart", None, "tscore"),
    ("portal BMD chart", "portal:chart", None, "bmd"),
)
LISTS = (
    ("worklist", "home", None),
    ("patient list", "patient_list", None),
    ("patient list, page 2", "patient_list", None, "?page=2"),
    ("filtered patient list", "patient_list", None, "?category=osteoporosis&sort=-dob"),
    ("patient list, a search", "patient_list", None, "?q=a"),
)
PAGES = PER_PATIENT + PORTAL + LISTS
WAYS = ("plain", "rendered", "from the cache")
RECORD_LINK = re.compile(r'href="/patients/(\d+)/"')


def _url(page, subject) -> str:
    _name, url_name, whose, *extra = page
    args = [subject[whose]] if whose else []
    if url_name in ("scans:chart", "portal:chart"):
        return reverse(url_name, args=[*args, *extra])
    return reverse(url_name, args=args) + "".join(extra)


def _get(client: Client, url: str) -> tuple[int, bytes]:
    """The page's queries, and the page."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured.captured_queries), body


def _costs(clients: dict, subject: dict) -> dict:
    """Each page's queries on the plain path, rendered into the cache, and from the cache;
    for a list, also how many patients' records it links to."""
    costs = {}
    for page in PAGES:
        client = clients["patient" if page in PORTAL else "clinician"]
        url = _url(page, subject)
        cache.clear()
        with override_settings(PAGE_PARTS_CACHE=False):
            plain, body = _get(client, url)
        cache.clear()
        rendered, _body = _get(client, url)
        costs[page[0]] = dict(zip(WAYS, (plain, rendered, _get(client, url)[0]), strict=True))
        if page in LISTS:
            costs[page[0]]["rows"] = len(set(RECORD_LINK.findall(body.decode())))
    return costs


def _subject() -> dict:
    """The first generated patients' one with the most released scans and a fracture."""
    patient = (
        Patient.objects.filter(mrn__startswith=MRN_PREFIX)
        .annotate(
            released=Count("scans", filter=Q(scans__status=ScanStatus.RELEASED), distinct=True),
            broken=Count("fractures", distinct=True),
        )
        .order_by("-broken", "-released", "pk")
        .first()
    )
    patient.user = User.objects.create_user("measured-patient")
    patient.save(update_fields=["user"])
    education_sync(patient=patient)
    scan = patient.scans.filter(status=ScanStatus.RELEASED).order_by("-date").first()
    return {"patient": patient.pk, "scan": scan.pk, "user": patient.user}


@pytest.fixture(scope="module")
def costs(django_db_setup, django_db_blocker):
    """{size: {page: {way: queries}}}, counted at each size of one growing clinic."""
    counted = {}
    with django_db_blocker.unblock(), transaction.atomic():
        clinician = make_user("measuring-clinician", CLINICIANS)
        clinic_generate(patients=SIZES[0], seed=SEED)
        subject = _subject()
        clients = {"clinician": Client(), "patient": Client()}
        clients["clinician"].force_login(clinician)
        clients["patient"].force_login(subject["user"])
        _costs(clients, subject)  # the first requests fill what a process keeps for its life
        for growth, size in enumerate(SIZES):
            missing = size - Patient.objects.filter(mrn__startswith=MRN_PREFIX).count()
            if missing:
                clinic_generate(patients=missing, seed=SEED + growth)
            counted[size] = _costs(clients, subject)
        transaction.set_rollback(True)
    cache.clear()
    return counted


@pytest.mark.parametrize("page_name", [page[0] for page in PER_PATIENT + PORTAL])
def test_a_page_about_one_patient_costs_the_same_in_a_clinic_ten_times_larger(costs, page_name):
    small, large = (costs[size][page_name] for size in SIZES)
    assert large == small, (
        f"{page_name}: {small} queries at {SIZES[0]} patients, {large} at {SIZES[1]}"
    )


@pytest.mark.parametrize("page_name", [page[0] for page in LISTS])
def test_a_list_costs_the_same_whether_it_chooses_its_rows_among_50_patients_or_500(
    costs, page_name
):
    small, large = (dict(costs[size][page_name]) for size in SIZES)
    # Rows are shown at both sizes, so a query made per row would count.
    assert small.pop("rows") > 0 and large.pop("rows") > 0, (page_name, costs)
    assert large == small, (
        f"{page_name}: {small} queries at {SIZES[0]} patients, {large} at {SIZES[1]}"
    )


def test_the_lists_show_a_page_of_fixed_length_at_both_sizes(costs):
    for size in SIZES:
        assert costs[size]["patient list"]["rows"] == PAGE_SIZE
        assert costs[size]["patient list, page 2"]["rows"] == PAGE_SIZE


def test_the_patient_lists_queries_do_not_depend_on_the_rows_it_shows(costs):
    """A full page, a filtered one and a search, showing different numbers of rows: one cost."""
    lists = [
        ways
        for size in SIZES
        for name, ways in costs[size].items()
        if name.startswith("patient list") or name == "filtered patient list"
    ]
    assert len({ways["rows"] for ways in lists}) > 1, lists
    assert len({tuple(ways[way] for way in WAYS) for ways in lists}) == 1, lists


def test_a_page_served_from_the_cache_costs_fewer_queries_than_the_plain_path(costs):
    for page in ("worklist", "patient list", "record", "portal home", "FHIR export"):
        ways = costs[SIZES[1]][page]
        assert ways["from the cache"] < ways["plain"], (page, ways)
