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
    # A draft: read on its own, in its block, and not yet the record's interpretation.
    draft = page.get_by_test_id("draft-block")
    expect(draft).to_contain_text("Draft — not yet reviewed: scan of 1 September 2025")
    expect(draft.get_by_test_id("scan-diagnosis")).to_have_text(DIAGNOSIS)
    expect(page.get_by_test_id("diagnosis")).to_have_count(0)
    expect(page.get_by_role("cell", name="0.598").first).to_be_visible()
    record = page.url

    # The worklist opens the scan's review page; the release is decided there.
    page.goto(f"{live_server.url}/")
    row = page.get_by_test_id("section-unreleased").get_by_role("row", name=re.compile("Marsh"))
    expect(row.get_by_role("button")).to_have_count(0)
    row.get_by_role("link", name="Review…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review the scan of 1 September 2025")
    expect(page.get_by_test_id("review-values")).to_contain_text("0.801")
    page.get_by_label("Note for the patient (optional)").fill("Please book a visit to discuss.")
    page.get_by_role("button", name="I have checked it: release to the patient's portal").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_test_id("count-unreleased")).to_have_text("0")
    page.goto(record)
    expect(page.get_by_test_id("diagnosis")).to_have_text(DIAGNOSIS)
    expect(page.get_by_test_id("draft-block")).to_have_count(0)


DIAGNOSIS = "Low bone mass (osteopenia): lowest T-score −2.2 at the lumbar spine L1–L4."
