"""Every page of every role, on a phone (390 px) and a laptop (1366 px), in Chromium.

The pages are the access table's: each GET that a role is answered with a page (and the page a
refused role sees instead), opened on the demo clinic's data. Each is checked for template
syntax leaked into its text, for being wider than the window, and by axe-core (bundled with
axe-playwright-python: nothing is downloaded) for WCAG 2.2 A and AA violations of serious or
critical impact.

Only rules tagged WCAG 2.0/2.1/2.2 A or AA run: axe's "best-practice" rules (one main landmark,
page content inside landmarks, a level-one heading, …) are advice beyond WCAG 2.2 AA.
"""

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from django.urls import reverse
from playwright.sync_api import Error as PlaywrightError

from education.models import EducationPage
from osteoclinic import demo
from tests.access_table import ACCESS, FORBIDDEN, NOT_FOUND, OK, ROLES
from tests.demo_clinic import demo_clinic, page_paths

WIDTHS = (1366, 390)
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
SERIOUS = {"serious", "critical"}
LEAKS = ("{#", "{%", "{{")


def pages_of(role: str, urls: dict[str, str]) -> list[tuple[str, str]]:
    """(name, path) of each page this role opens: every page it is shown, and once each refusal
    page it meets instead."""
    pages, refusals = [], set()
    for name, path in urls.items():
        answer = ACCESS[name].expected(role)
        if answer == OK:
            pages.append((name, path))
        elif answer in (FORBIDDEN, NOT_FOUND) and answer not in refusals:
            refusals.add(answer)
            pages.append((name, path))
    return pages


def problems_at(page, where: str) -> list[str]:
    found = []
    text = page.evaluate("document.documentElement.innerText")
    for leak in LEAKS:
        if leak in text:
            at = text.index(leak)
            found.append(f"{where}: template syntax in the text: {text[at : at + 60]!r}")
    content, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if content > window:
        found.append(f"{where}: {content} px wide in a {window} px window")
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    for violation in results["violations"]:
        if violation["impact"] not in SERIOUS:
            continue
        targets = "; ".join(
            f"{' '.join(map(str, node['target']))} {node['failureSummary'].splitlines()[-1]}"
            for node in violation["nodes"][:4]
        )
        found.append(
            f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']} "
            f"— {len(violation['nodes'])} element(s): {targets}"
        )
    return found


def sign_in(context, base_url: str, username: str) -> None:
    page = context.new_page()
    page.goto(f"{base_url}{reverse('login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.close()


@pytest.mark.django_db(transaction=True)
def test_every_page_of_every_role_is_usable_at_390_and_1366_px(live_server, browser):
    world = demo_clinic()
    urls = page_paths(world)
    assert EducationPage.objects.exists() and world["attachment"] is not None

    problems, checked = [], 0
    for role in ROLES:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        context.add_init_script(script=AXE_SCRIPT)
        if role != "anonymous":
            sign_in(context, live_server.url, role)
        page = context.new_page()
        for name, path in pages_of(role, urls):
            try:
                response = page.goto(f"{live_server.url}{path}")
            except PlaywrightError as error:
                if "Download is starting" in error.message:
                    continue  # a CSV or JSON file to save, not a page
                raise
            if "text/html" not in response.headers.get("content-type", ""):
                continue  # an SVG chart shown on its own
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                problems += problems_at(page, f"{role} {name} {path} at {width} px")
                checked += 1
        context.close()

    assert checked > 200, f"only {checked} page views were checked"
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
