"""A fracture liaison nurse's journey: a fragility fracture taken on, its step due on the
worklist, the assessment recorded, the KPI page showing it."""

import datetime

from playwright.sync_api import expect

from tests.liaison.records import fragility_fracture


def test_alice_opens_an_episode_records_the_assessment_and_sees_the_kpis(
    live_server, page, sign_in, alice, paula
):
    broke = datetime.date.today() - datetime.timedelta(days=30)
    fragility_fracture(paula, broke, site="hip")
    sign_in("alice")
    page.goto(f"{live_server.url}/patients/{paula.pk}/")
    page.get_by_role("link", name="Open an episode").click()
    page.get_by_label("Index fracture").select_option(index=1)
    page.get_by_label("Identified through").select_option("ward")
    page.get_by_role("button", name="Open episode").click()
    expect(page.get_by_test_id("due-steps")).to_contain_text("Fracture-risk assessment due by")

    page.get_by_role("link", name="Worklist").first.click()
    section = page.get_by_test_id("section-liaison")
    expect(section).to_contain_text(f"Hip fracture {broke:%Y-%m-%d}")
    section.get_by_role("link", name="Open episode").click()

    page.get_by_role("link", name="Record the assessment").click()
    page.get_by_label("Assessment date").fill(f"{broke + datetime.timedelta(days=5):%Y-%m-%d}")
    page.get_by_label("Fracture-risk assessment").select_option("frax_bmd")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Assessment saved.")).to_be_visible()
    expect(page.get_by_test_id("due-steps")).to_have_count(0)

    page.get_by_role("link", name="Fracture liaison KPIs").click()
    expect(page.get_by_test_id("kpi-1")).to_contain_text("100.0%")
    # Thirty days after the fracture the 12-week window is still open: not yet judged.
    expect(page.get_by_test_id("kpi-3")).to_contain_text("none due")
