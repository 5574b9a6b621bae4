"""A clinician's day: a new patient, a scan with a typing error fixed, the record updated."""

import re

from playwright.sync_api import expect

from scans.models import Device


def test_alice_creates_a_patient_logs_a_scan_and_fixes_a_typo(live_server, page, sign_in, alice):
    Device.objects.create(manufacturer="hologic", model="Horizon A", serial="HZ-7")
    sign_in("alice")
    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="Add a patient").click()
    page.get_by_label("MRN").fill("e2e-0042")
    page.get_by_label("Family name").fill("Marsh")
    page.get_by_label("Given name").fill("Iris")
    page.get_by_label("Date of birth").fill("1950-05-17")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Menopausal status").select_option("post")
    page.get_by_role("button", name="Add patient").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Marsh")

    page.get_by_role("link", name="Log a scan").click()
    page.get_by_label("Device").select_option(label="Hologic Horizon A #HZ-7")
    page.get_by_label("Scan date").fill("2025-09-01")
    # Row 1 is the lumbar spine, row 2 the left femoral neck, row 3 the left total hip.
    page.locator("#id_sites-0-bmd").fill("0.801")
    page.locator("#id_sites-0-t_score").fill("-22")  # a typo for −2.2
    page.locator("#id_sites-1-bmd").fill("0.598")
    page.locator("#id_sites-1-t_score").fill("-2.2")
    page.locator("#id_sites-2-bmd").fill("0.701")
    page.locator("#id_sites-2-t_score").fill("-2.0")
    page.get_by_role("button", name="Save scan").click()

    error = page.locator("#id_sites-0-t_score_error")
    expect(error).to_have_text("T-score −22 is outside −8.0…+6.0 — check the report.")
    expect(page.locator("#id_sites-1-bmd")).to_have_value("0.598")  # what was typed is kept
    page.locator("#id_sites-0-t_score").fill("-2.2")
    page.get_by_role("button", name="Save scan").click()

    expect(page).to_have_url(re.compile(r"/patients/\d+/$"))
    expect(page.get_by_test_id("diagnosis")).to_have_text(
        "Low bone mass (osteopenia): lowest T-score −2.2 at the lumbar spine L1–L4."
    )
    expect(page.get_by_role("cell", name="0.598").first).to_be_visible()
