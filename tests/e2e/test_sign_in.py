"""First journeys: a clinician signs in and out; a patient cannot open another's record."""

import re

from playwright.sync_api import expect


def test_alice_signs_in_sees_her_home_page_and_signs_out(live_server, page, sign_in, alice):
    sign_in("alice")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("alice (Clinician)")
    expect(page.get_by_role("heading", level=1)).to_have_text("Worklist")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))


def test_paula_cannot_open_petes_record(live_server, page, sign_in, paula, pete):
    sign_in("paula")
    expect(page.get_by_test_id("signed-in-as")).to_contain_text("paula (Patient)")
    response = page.goto(f"{live_server.url}/patients/{pete.pk}/")
    assert response.status in (403, 404)
    expect(page.get_by_text("Okafor")).to_have_count(0)
