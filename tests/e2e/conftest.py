"""Browser journeys in the system's headless Chromium, driven by Playwright.

Playwright's own browser downloads are never used: the Debian `chromium` package is launched
through `executable_path`. Without it the journeys skip with instructions, except under CI,
where a missing browser fails the run.
"""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
# thread with an event loop unless told it is safe, which it is for this test process only.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", "chromium"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    path = find_chromium()
    if path is None:
        message = (
            "Chromium not found: install Debian's package (sudo apt-get install chromium) "
            "or set CHROMIUM_PATH. Browser journeys are skipped."
        )
        if os.environ.get("CI"):
            pytest.fail(message.replace("are skipped", "are required under CI"))
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": path,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture
def sign_in(live_server, page):
    """Sign in through the real sign-in page."""

    def as_user(username: str, password: str = "pass-for-tests"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return as_user


@pytest.fixture(autouse=True)
def education_pages(transactional_db):
    """The guide's pages, as the migration made them: a transactional test before this one
    may have emptied every table."""
    from education.loader import load_content
    from education.models import EducationPage

    load_content(EducationPage)
