"""The record and the portal read on a 1366 px screen and a 390 px phone: nothing wider than the
window, the phone's charts drawn for it with text of 12 px or more, the fracture actions in view,
the scan form's selects showing their values; the summary prints on A4 and on Letter."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from patients.models import Fracture, SymptomReport, Treatment
from patients.services import symptom_report_record
from tests.osteoclinic.test_patient_record import scan

D = datetime.date
WIDTHS = (1366, 390)


@pytest.fixture
def record(paula, hologic, alice):
    """Paula's record with what makes it long: scans at two sites, a recent vertebral fracture,
    treatment, a red flag and a draft."""
    today = timezone.localdate()
    for day, spine, hip in (
        (D(2020, 6, 14), ("0.842", "-2.0"), ("0.640", "-1.8")),
        (D(2022, 6, 18), ("0.810", "-2.3"), ("0.615", "-2.0")),
        (D(2024, 6, 16), ("0.772", "-2.7"), ("0.590", "-2.2")),
    ):
        scan(
            paula,
            hologic,
            day,
            ("lumbar_spine", "", *spine),
            ("femoral_neck", "left", *hip),
        )
    scan(paula, hologic, today, ("lumbar_spine", "", "0.760", "-2.8"), status="draft")
    Fracture.objects.create(
        patient=paula,
        date=today - datetime.timedelta(days=30),
        site="vertebral",
        vertebral_level="L1",
        mechanism="fragility",
        genant_grade=2,
        detection="imaging",
        notes="Found on a chest X-ray taken for a cough.",
    )
    Treatment.objects.create(
        patient=paula,
        drug_class="bisphosphonate",
        name="Alendronate 70 mg weekly",
        start=D(2024, 7, 1),
    )
    report = SymptomReport(patient=paula, source="patient", pain=7, pain_back=True)
    report.sudden_onset = True
    symptom_report_record(report=report, user=paula.user)
    return paula


def page_width(page) -> tuple[int, int]:
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


def leaked_template_syntax(page) -> list[str]:
    text = page.locator("body").inner_text()
    return [mark for mark in ("{#", "{%", "{{") if mark in text]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_record_fits_the_window_and_says_what_needs_action_first(
    live_server, page, sign_in, alice, record, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("alice")
    page.goto(f"{live_server.url}/patients/{record.pk}/")
    scroll, client = page_width(page)
    assert scroll <= client, f"the record is {scroll} px wide in a {client} px window"
    assert leaked_template_syntax(page) == []
    action = page.get_by_test_id("needs-action")
    expect(action).to_contain_text("Sudden back pain")
    expect(action).to_contain_text("week 5 of the acute phase")
    expect(action).to_contain_text("is draft")
    # What needs action is the first thing under the name.
    assert action.bounding_box()["y"] < page.locator("#patient-details-heading").bounding_box()["y"]
    page.get_by_test_id("record-contents").get_by_role("link", name="Fractures").click()
    expect(page).to_have_url(re.compile(r"#fractures-heading$"))
    if width == 1366:
        # The fracture's actions are in view, not clipped off the table's right edge.
        edit = page.get_by_role("link", name=re.compile(r"^Edit the .*fracture"))
        box = edit.bounding_box()
        assert box is not None and box["x"] + box["width"] <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_the_portal_fits_the_window_with_charts_drawn_for_it(
    live_server, page, sign_in, record, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in("paula")
    scroll, client = page_width(page)
    assert scroll <= client, f"the portal is {scroll} px wide in a {client} px window"
    assert leaked_template_syntax(page) == []
    expect(page.get_by_test_id("plain-result")).to_contain_text("lower spine (lumbar spine L1–L4)")
    chart = page.get_by_test_id("chart-bmd").locator("img")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    shown = chart.evaluate(
        "img => [img.currentSrc, img.getBoundingClientRect().width, img.naturalWidth]"
    )
    source, displayed, natural = shown
    if width == 390:
        assert "size=narrow" in source
        # Shown at the width it was drawn for, so its 9 pt (12 px) text is not shrunk.
        assert displayed == pytest.approx(natural, abs=1)
    else:
        assert "size=" not in source
    expect(page.get_by_test_id("chart-bmd").get_by_test_id("chart-large-link")).to_be_visible()


def test_the_scan_forms_selects_show_their_values_on_a_phone(
    live_server, page, sign_in, alice, record
):
    page.set_viewport_size({"width": 390, "height": 900})
    sign_in("alice")
    page.goto(f"{live_server.url}/scans/patient/{record.pk}/new/")
    scroll, client = page_width(page)
    assert scroll <= client
    for select in ("#id_sites-0-site", "#id_sites-1-site", "#id_sites-1-side"):
        box = page.locator(select).bounding_box()
        # Wide enough for "Femoral neck" or "Left" at the phone's font size.
        assert box["width"] >= 90, (select, box)


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_summary_prints_on_two_pages_at_most(live_server, page, sign_in, alice, record, paper):
    sign_in("alice")
    page.goto(f"{live_server.url}/patients/{record.pk}/summary/")
    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("signed-by")).to_be_visible()
    pdf = page.pdf(format=paper, prefer_css_page_size=True)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
    assert 1 <= pages <= 2, f"{pages} pages on {paper}"
    # The print width of A4 (the narrower) holds every table without cutting it.
    page.set_viewport_size({"width": 688, "height": 1000})
    scroll, client = page_width(page)
    assert scroll <= client
