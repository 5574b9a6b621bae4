"""Generated bad input on alice's scan pages: a message or a clean save, never a 500."""

import datetime
from decimal import Decimal

from django.urls import reverse
from hypothesis import example, given
from hypothesis import strategies as st

from scans.forms import DeviceForm, FraxForm, MeasurementForm, PrecisionStudyForm, ScanForm
from scans.models import (
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    Device,
    DexaScan,
    FraxEntry,
    Manufacturer,
    PrecisionStudy,
    Site,
)
from tests.fuzz import (
    FUZZ,
    any_text,
    as_opened,
    assert_answered,
    assert_holds,
    assert_opens,
    assert_refused_with_a_message,
    checkbox,
    clinic_counts,
    date_text,
    form_data,
    number_text,
    rolled_back,
    sometimes_missing,
    text_or,
)

plausible_day = st.dates(datetime.date(1950, 1, 1), datetime.date.today()).map(
    datetime.date.isoformat
)
some_date = st.one_of(plausible_day, date_text)
DEVICE = "<the hologic's pk>"  # replaced by the real pk once the fixture exists

ROWS = 6
MEASURED = ("site", "side", "vertebrae", "bmd", "t_score", "z_score")
site_row = form_data(
    site=text_or(*Site.values),
    side=sometimes_missing(text_or("", "left", "right")),
    vertebrae=sometimes_missing(text_or("", "L1-L4", "L2-L4", "L1,L2,L4", "L0-L9", "L4-L1")),
    bmd=sometimes_missing(number_text(BMD_MIN, BMD_MAX, 3)),
    t_score=sometimes_missing(number_text(SCORE_MIN, SCORE_MAX, 1)),
    z_score=sometimes_missing(number_text(SCORE_MIN, SCORE_MAX, 1)),
)
count_text = text_or("0", "1", "6", "-1", "1001", "99999999999999999999", "six")
scan_post = st.builds(
    lambda header, management, rows: {
        **header,
        **management,
        **{
            f"sites-{index}-{name}": value
            for index, row in enumerate(rows)
            for name, value in row.items()
        },
    },
    form_data(
        device=sometimes_missing(text_or(DEVICE, "", "0", "-1", "99999", "abc")),
        date=some_date,
        operator=sometimes_missing(any_text),
        reference_database=sometimes_missing(any_text),
        notes=sometimes_missing(any_text),
    ),
    st.one_of(
        # Mostly the management form as the page sends it; sometimes tampered with.
        st.just({"sites-TOTAL_FORMS": "6", "sites-INITIAL_FORMS": "0"}),
        form_data(
            **{
                "sites-TOTAL_FORMS": sometimes_missing(count_text),
                "sites-INITIAL_FORMS": sometimes_missing(count_text),
                "sites-MIN_NUM_FORMS": sometimes_missing(count_text),
                "sites-MAX_NUM_FORMS": sometimes_missing(count_text),
            }
        ),
    ),
    st.lists(site_row, min_size=0, max_size=ROWS),
)

A_GOOD_SCAN = {
    "device": DEVICE,
    "date": "2024-05-06",
    "sites-TOTAL_FORMS": "6",
    "sites-INITIAL_FORMS": "0",
    "sites-0-site": "lumbar_spine",
    "sites-0-bmd": "0.812",
    "sites-0-t_score": "-2.7",
}


def typed_rows(data) -> set[tuple]:
    """The site rows a saved scan must hold: those with numbers typed, as their form reads them."""
    try:
        total = min(int(data.get("sites-TOTAL_FORMS", "")), ROWS)
    except ValueError:
        total = 0
    rows = set()
    for index in range(max(total, 0)):
        form = MeasurementForm(data, prefix=f"sites-{index}")
        if form.has_changed() and form.is_valid():
            rows.add(tuple(form.cleaned_data[name] for name in MEASURED))
    return rows


@FUZZ
@given(data=scan_post)
# A row the management data calls "initial", as if the scan existed already: it has no stored
# site behind it, and the page must say so rather than fail or save the scan without it.
@example(data={**A_GOOD_SCAN, "sites-INITIAL_FORMS": "1"})
# "NaN" is a Decimal that refuses to be compared with the bounds.
@example(data={**A_GOOD_SCAN, "sites-0-bmd": "NaN"})
def test_a_new_scan_is_refused_with_a_message_or_saved_with_every_site_typed(
    client_for, alice, paula, hologic, data
):
    client = client_for(alice)
    data = {name: str(hologic.pk) if value == DEVICE else value for name, value in data.items()}
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("scans:scan_create", args=[paula.pk]), data)
        scan = assert_answered(response, before, DexaScan, "form", "formset")
        if scan is not None:
            assert scan.patient == paula
            assert_holds(scan, ScanForm, data)
            stored = set(scan.measurements.values_list(*MEASURED))
            assert stored == typed_rows(data)
            assert_opens(client, response)


device_post = form_data(
    manufacturer=text_or(*Manufacturer.values),
    model=sometimes_missing(any_text),
    serial=text_or("HZ-100", "hz-100", " HZ-100 ", "HZ-200", "S" * 100, "S" * 101),
    location=sometimes_missing(any_text),
    active=checkbox,
)


@FUZZ
@given(data=device_post)
def test_a_new_scanner_is_refused_with_a_message_or_saved_as_typed(
    client_for, alice, hologic, data
):
    client = client_for(alice)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("scans:device_create"), data)
        device = assert_answered(response, before, Device)
        if device is not None:
            assert_holds(device, DeviceForm, data)
            assert_opens(client, response)


bmd_cell = st.one_of(
    number_text(BMD_MIN, BMD_MAX, 3),
    st.decimals(min_value=BMD_MIN, max_value=BMD_MAX, places=3).map(str),
)
separator = st.sampled_from([",", ";", "\t", " ", ", ", " ; "])
study_lines = st.lists(
    st.tuples(st.lists(bmd_cell, min_size=0, max_size=4), separator).map(
        lambda cells: cells[1].join(cells[0])
    ),
    min_size=0,
    max_size=40,
).map("\n".join)
precision_post = form_data(
    site=text_or(*Site.values),
    date=some_date,
    values_text=st.one_of(study_lines, any_text),
)
THIRTY_PATIENTS_TWICE = "\n".join(f"0.{800 + n} 0.{801 + n}" for n in range(30))


@FUZZ
@given(data=precision_post)
# The same value twice for every patient (a column pasted twice): an RMS-SD of zero.
@example(data={"site": "lumbar_spine", "date": "2024-01-10", "values_text": "0.800 0.800\n" * 30})
# Python reads "sNaN" as a Decimal, then cannot make a float of it.
@example(
    data={
        "site": "lumbar_spine",
        "date": "2024-01-10",
        "values_text": THIRTY_PATIENTS_TWICE + "\nsNaN 0.800",
    }
)
def test_a_precision_study_is_refused_with_a_message_or_saved_as_pasted(
    client_for, alice, hologic, data
):
    client = client_for(alice)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("scans:precision_create", args=[hologic.pk]), data)
        study = assert_answered(response, before, PrecisionStudy)
        if study is not None:
            form = PrecisionStudyForm(data)
            assert form.is_valid()
            assert (study.device, study.site, study.date) == (
                hologic,
                form.cleaned_data["site"],
                form.cleaned_data["date"],
            )
            assert study.values == form.cleaned_data["values_text"]
            assert study.patients == len(study.values)
            assert study.rms_sd > 0
            assert_opens(client, response)


frax_post = form_data(
    date=some_date,
    major_osteoporotic=number_text("0", "100", 1),
    hip=number_text("0", "100", 1),
    with_bmd=checkbox,
)


@FUZZ
@given(data=frax_post)
def test_a_frax_result_is_refused_with_a_message_or_saved_as_typed(client_for, alice, paula, data):
    client = client_for(alice)
    with rolled_back():
        before = clinic_counts()
        response = client.post(reverse("scans:frax_create", args=[paula.pk]), data)
        entry = assert_answered(response, before, FraxEntry)
        if entry is not None:
            assert entry.patient == paula
            assert_holds(entry, FraxForm, data)
            assert_opens(client, response)


def test_the_rows_a_scan_must_hold_are_read_as_the_page_reads_them(db):
    # The scan check above is only as good as this reading of the rows: pin it on known rows.
    data = {
        **A_GOOD_SCAN,
        "sites-1-site": "total_hip",
        "sites-1-side": "left",
        "sites-1-bmd": "0,701",
        "sites-1-t_score": "\u22122.0",
        "sites-2-site": "femoral_neck",  # a row with no numbers is blank
    }
    assert typed_rows(data) == {
        ("lumbar_spine", "", "L1-L4", Decimal("0.812"), Decimal("-2.7"), None),
        ("total_hip", "left", "", Decimal("0.701"), Decimal("-2.0"), None),
    }


def test_a_scan_saved_after_one_of_its_sites_was_removed_elsewhere_says_so(
    client_for, alice, paula, hologic
):
    scan = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2023, 3, 3))
    spine = scan.measurements.create(site="lumbar_spine", bmd="0.812", t_score="-2.7")
    scan.measurements.create(site="total_hip", side="left", bmd="0.701", t_score="-2.0")
    client = client_for(alice)
    url = reverse("scans:scan_edit", args=[scan.pk])
    page = client.get(url).context
    data = as_opened(page["form"], page["formset"])
    # Another clinician, editing the same scan, deleted the spine row and saved first.
    spine.delete()
    before = clinic_counts()
    response = client.post(url, data)
    assert_refused_with_a_message(response, before, "form", "formset")
