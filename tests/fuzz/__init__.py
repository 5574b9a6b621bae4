"""Bad input, generated: what every form must do with it, and the inputs that find the edges.

Each test posts generated values through the Django test client, signed in as the person who
would use the page, to the real URL. Whatever is posted, the answer is either the form again
with a message (200, nothing written anywhere) or a redirect after a clean save whose record
holds what was typed, normalised. A 500 fails the test on its own: the test client re-raises
the view's exception.

Hypothesis runs many examples inside one test, and pytest-django's fixtures are not reset
between them; every example therefore runs in a savepoint that is rolled back (`rolled_back`),
so each starts from the same database and a failure can be replayed alone. The callbacks that
run after a commit (the stored reading, the education pages) are run inside it too, so that a
value that breaks them fails here rather than after the response in production.

(The shared strategies live here because the fuzz package has no other module to hold them.)
"""

import contextlib
import datetime
import html
import os
from decimal import Decimal

from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.test import TestCase
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Function-scoped fixtures (alice, paula, the client) are shared by the examples on purpose:
# each example rolls its own writes back. FUZZ_EXAMPLES=1000 digs deeper than `make test`.
FUZZ = settings(
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
    max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 40),
    deadline=None,
    # Under CI the same examples every run, so a red run is a regression and never luck; a
    # developer's runs keep exploring (FUZZ_EXAMPLES for more), and what they find is kept
    # as an explicit @example.
    derandomize=bool(os.environ.get("CI")),
)

# --- Strategies -------------------------------------------------------------------------------

# Strings that have broken web forms before: NUL (PostgreSQL refuses it in text), other
# control characters, invisible and combining characters, markup, SQL, numbers in disguise.
NASTY = (
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x01\x02\x7f",
    "\t\r\n",
    "\u200b",
    "\ufeff",
    "\u202e",
    "e\u0301",
    "𝟘𝟙",
    "١٢٣",
    "<script>alert(1)</script>",
    "'; DROP TABLE patients_patient; --",
    "%s%n{0}",
    "NaN",
    "sNaN",
    "-Infinity",
    "1e999",
    "-0",
    "0x10",
    "1_000",
)

# The test client encodes the form as UTF-8: lone surrogates cannot be sent by any browser.
any_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=60),
    st.builds(lambda char, count: char * count, st.characters(codec="utf-8"), st.integers(1, 5000)),
)


# A path segment: anything but a slash, which would make it another address.
segment = any_text.filter(lambda text: text and "/" not in text)
# The id part of a one-time link: made-up text, or any number encoded as the site encodes ids.
link_id = st.one_of(segment, st.integers().map(lambda n: urlsafe_base64_encode(force_bytes(n))))


def text_or(*valid: str):
    """Mostly one of the allowed values, sometimes anything at all."""
    return st.one_of(st.sampled_from(valid), any_text)


def number_text(low: str, high: str, places: int):
    """Numbers at, just inside and just beyond both bounds, too precise, and not numbers."""
    low_value, high_value = Decimal(low), Decimal(high)
    step = Decimal(1).scaleb(-places)
    edges = [low_value, high_value, low_value - step, high_value + step, low_value + step / 10]
    span = max(high_value - low_value, Decimal(1))
    return st.one_of(
        st.sampled_from([str(value) for value in edges]),
        st.decimals(
            min_value=low_value - span,
            max_value=high_value + span,
            places=places + 1,
            allow_nan=False,
            allow_infinity=False,
        ).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        # Scanner reports print a typographic minus and a decimal comma.
        st.decimals(min_value=low_value, max_value=high_value, places=places).map(
            lambda value: str(value).replace("-", "\u2212").replace(".", ",")
        ),
        any_text,
    )


def _written(day: datetime.date) -> list[str]:
    return [
        day.isoformat(),
        f"{day.day:02d}/{day.month:02d}/{day.year:04d}",
        f"{day.month}/{day.day}/{day.year}",
        f"{day.year:04d}{day.month:02d}{day.day:02d}",
        f"{day.day}.{day.month}.{day.year}",
        f"{day:%b} {day.day} {day.year}",
    ]


any_date = st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31))
date_text = st.one_of(
    any_date.flatmap(lambda day: st.sampled_from(_written(day))),
    st.sampled_from(["2024-02-30", "0000-01-01", "10000-01-01", "2024-13-01", "31/12/99"]),
    any_text,
)
checkbox = st.sampled_from([None, "on", "", "false", "0", "\x00"])


def form_data(**fields) -> st.SearchStrategy[dict]:
    """A POST body: each field from its strategy, None leaving the field out altogether."""
    return st.fixed_dictionaries(fields).map(
        lambda data: {name: value for name, value in data.items() if value is not None}
    )


def sometimes_missing(strategy):
    return st.one_of(st.none(), strategy)


# The symptom diary, the same form for paula in the portal and for alice on her behalf.
symptom_post = form_data(
    pain=text_or(*(str(n) for n in range(11)), "-1", "11", "5.5", " 5"),
    pain_back=checkbox,
    pain_hip=checkbox,
    pain_neck_shoulder=checkbox,
    pain_other=checkbox,
    sudden_onset=checkbox,
    affects_sleep_or_daily_life=checkbox,
    fall_since_last_report=checkbox,
    height_loss_or_stooping=checkbox,
    note=sometimes_missing(any_text),
)


# --- Checks -----------------------------------------------------------------------------------

CLINIC_APPS = ("patients", "scans", "education")


def clinic_counts() -> dict[str, int]:
    """Rows of every model of the clinic's apps (history included), users and groups.

    The access log is left out: every view of a form writes it, refused or not.
    """
    models = [m for label in CLINIC_APPS for m in apps.get_app_config(label).get_models()]
    models = [m for m in models if m._meta.label != "patients.AccessLogEntry"]
    counts = {model._meta.label: model._default_manager.count() for model in models}
    counts["auth.User"] = User.objects.count()
    counts["auth.Group"] = Group.objects.count()
    return counts


def grown(before: dict[str, int]) -> dict[str, int]:
    """The models whose count changed since `before`, with the change."""
    after = clinic_counts()
    return {label: after[label] - before[label] for label in after if after[label] != before[label]}


@contextlib.contextmanager
def rolled_back():
    """One example: its writes, and the work queued for after commit, are undone after it."""
    with transaction.atomic():
        with TestCase.captureOnCommitCallbacks(execute=True):
            yield
        transaction.set_rollback(True)


def error_messages(*forms) -> list[str]:
    messages = []
    for form in forms:
        if form is None:
            continue
        if hasattr(form, "forms"):  # a formset
            messages += [str(error) for error in form.non_form_errors()]
            messages += error_messages(*form.forms)
            continue
        for errors in form.errors.values():
            messages += [str(error) for error in errors]
    return messages


def assert_refused_with_a_message(response, before: dict[str, int], *context_names: str):
    """200: the form again, at least one of its messages on the page, nothing written."""
    assert response.status_code == 200
    forms = [response.context[name] for name in context_names or ("form",)]
    messages = error_messages(*forms)
    assert messages, "the form came back without saying what is wrong"
    page = html.unescape(response.content.decode())
    assert any(message in page for message in messages), messages
    assert grown(before) == {}


def assert_saved_once(response, before: dict[str, int], model) -> object:
    """302: exactly one new row of `model`; its page then opens. Returns the new row."""
    assert response.status_code == 302, response.status_code
    assert grown(before).get(model._meta.label) == 1
    return model._default_manager.order_by("-pk").first()


def assert_answered(response, before: dict[str, int], model, *context_names: str):
    """Either refused with a message, or saved once; returns the new row or None."""
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 200:
        assert_refused_with_a_message(response, before, *context_names)
        return None
    return assert_saved_once(response, before, model)


def assert_holds(record, form_class, data: dict, *, prefix: str = "", skip=(), normalise=None):
    """The saved record holds what `form_class`'s own fields make of the posted `data`."""
    normalise = normalise or {}
    for name, field in form_class.base_fields.items():
        if name in skip:
            continue
        key = f"{prefix}-{name}" if prefix else name
        value = field.clean(field.widget.value_from_datadict(data, {}, key))
        value = normalise.get(name, lambda v: v)(value)
        stored = getattr(record, name)
        if value in ("", None) and stored in ("", None):
            continue
        assert stored == value, f"{name}: posted {data.get(key)!r}, stored {stored!r}"


def assert_opens(client, response):
    """The page a save redirects to shows the new record without failing."""
    assert client.get(response["Location"]).status_code == 200


def as_opened(*forms) -> dict[str, str]:
    """The POST body a browser sends for these forms (and formsets) as the page showed them."""
    data = {}
    for form in forms:
        if hasattr(form, "forms"):
            data |= as_opened(form.management_form, *form.forms)
            continue
        for field in form:
            value = field.value()
            if value is True:
                data[field.html_name] = "on"
            elif value not in (None, False):
                data[field.html_name] = str(value)
    return data
