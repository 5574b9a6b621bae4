"""Locust users for the load test (started by tests/bench/loadtest.py, never by hand on a server
that is not ours): clinicians and patients who sign in through the real sign-in form.

LOAD_USERS_FILE names the JSON the load test wrote: the logins and a pool of patient ids.
LOAD_MAX_REQUESTS stops the whole run after that many requests, whatever the run time.
LOAD_SUMMARY_FILE receives the final numbers as JSON when locust quits.
"""

import json
import os
import random
import re
from pathlib import Path

import gevent
from locust import FastHttpUser, between, events, task

CONFIG = json.loads(Path(os.environ["LOAD_USERS_FILE"]).read_text(encoding="utf-8"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "20000"))
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LIST_PAGES = 40

_sent = 0
_environment = None


@events.init.add_listener
def _keep_environment(environment, **kwargs):
    global _environment
    _environment = environment


@events.request.add_listener
def _cap(**kwargs):
    """Bounded in count as well as in time: quit once MAX_REQUESTS have been sent."""
    global _sent
    _sent += 1
    if _sent == MAX_REQUESTS and _environment is not None and _environment.runner is not None:
        # Not from inside this greenlet: quitting kills the users, this one among them.
        gevent.spawn(_environment.runner.quit)


@events.quitting.add_listener
def _write_summary(environment, **kwargs):
    """The final numbers, per request name and in total, for the load test to report."""
    path = os.environ.get("LOAD_SUMMARY_FILE")
    if not path:
        return
    stats = environment.stats
    entries = sorted(stats.entries.values(), key=lambda entry: (entry.name, entry.method))
    rows = [
        {
            "name": f"{entry.method or ''} {entry.name}".strip(),
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "median": entry.median_response_time,
            "p95": entry.get_response_time_percentile(0.95),
            "max": entry.max_response_time,
            "rps": entry.total_rps,
        }
        for entry in [*entries, stats.total]
    ]
    Path(path).write_text(json.dumps(rows), encoding="utf-8")


class SignedIn(FastHttpUser):
    abstract = True
    wait_time = between(0.2, 1.0)
    login: list[str]

    def on_start(self):
        username, password = self.login
        with self.client.get(
            "/accounts/login/", name="sign-in form", catch_response=True
        ) as response:
            match = CSRF_FIELD.search(response.text or "")
            if match is None:
                response.failure("no CSRF token in the sign-in form")
                return
        with self.client.post(
            "/accounts/login/",
            name="sign in",
            data={"username": username, "password": password, "csrfmiddlewaretoken": match[1]},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or "/accounts/login/" in location:
                response.failure(f"sign-in refused ({response.status_code})")

    def page(self, path: str, name: str) -> None:
        """A GET that must answer 200 itself: a redirect to the sign-in page is a failure."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} for {path}")


class Clinician(SignedIn):
    weight = 1

    def on_start(self):
        self.login = CONFIG["clinician"]
        super().on_start()

    def _patient(self) -> int:
        return random.choice(CONFIG["patient_ids"])

    @task(2)
    def worklist(self):
        self.page("/", "/ (worklist)")

    @task(2)
    def patient_list(self):
        self.page(f"/patients/?page={random.randint(1, LIST_PAGES)}", "/patients/?page=[n]")

    @task(1)
    def filtered_list(self):
        self.page("/patients/?category=osteoporosis&significant_loss=on", "/patients/?filtered")

    @task(4)
    def record_and_charts(self):
        pk = self._patient()
        self.page(f"/patients/{pk}/", "/patients/[pk]/")
        # The record page's two charts, as a browser fetches them after the page.
        for kind in ("tscore", "bmd"):
            self.page(f"/scans/patient/{pk}/chart/{kind}.svg", f"/scans/patient/[pk]/{kind}.svg")


class Patient(SignedIn):
    weight = 1

    def on_start(self):
        self.login = random.choice(CONFIG["patients"])
        super().on_start()

    @task(3)
    def portal_home_and_charts(self):
        self.page("/portal/", "/portal/")
        for kind in ("tscore", "bmd"):
            self.page(f"/portal/chart/{kind}.svg", f"/portal/chart/{kind}.svg")

    @task(1)
    def symptom_diary(self):
        self.page("/portal/symptoms/", "/portal/symptoms/")
