"""Parts of pages kept rendered in the cache under the version of the records they show.

A worklist or a page of the patient list costs tens of milliseconds to build and render, most
of it template work, yet changes only when a record it shows changes. Such a part is cached
under a key holding those records' version (one query), the day (ages, "overdue") and the
code's version (settings.CODE_VERSION: a deploy with new templates or wording never serves the
old ones).

The version is read before the records: a change committed in between leaves newer content
under the older key, never older content under the newer one.

Every version-keyed cache of the site goes through `cached`, so settings.PAGE_PARTS_CACHE turns
them all off in one place: each page is then built on the plain path, without reading any
version, and shows the same content.
"""

import functools
import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import get_token
from django.template import Context
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from liaison.models import Episode
from patients import epochs
from patients.models import Fracture, Patient, SymptomReport
from patients.versions import column, newest, read, select, table
from scans.models import DexaScan, PatientStatus

# A CSRF token belongs to one browser: a cached part holds this mark where its forms need one,
# and each request puts its own token there. User data is escaped, so it never holds a "<".
CSRF_MARK = "<!--csrf-token-->"
# Ends one of several parts rendered together and cached as one (see `parts`).
BREAK = "<!--break-->"
TIMEOUT = 24 * 60 * 60


def cached(kind: str, marks: Callable[[], tuple], build: Callable[[], str]) -> str:
    """`build()`, kept in the cache under `marks()` and the code's version.

    With settings.PAGE_PARTS_CACHE off, `build()` alone: neither the marks nor the cache are
    read (the plain path).
    """
    if not settings.PAGE_PARTS_CACHE:
        return build()
    name = f"{kind}:" + hashlib.sha256(repr((settings.CODE_VERSION, *marks())).encode()).hexdigest()
    text = cache.get(name)
    if text is None:
        text = build()
        cache.set(name, text, TIMEOUT)
    return text


def part(
    request, template: str, *, key: Callable[[], tuple], context, query_string: bool = False
) -> SafeString:
    """`template` rendered with `context()`, or the copy cached under `key()` if there is one.

    A part is rendered without the request, so nothing of the user who happens to fill the
    cache (their name, role, permissions, messages) can end up in it; `query_string` lets
    tags such as {% querystring %} read it, for a key that holds the query string.
    """

    def render() -> str:
        values = Context({**context(), "csrf_token": mark_safe(CSRF_MARK)})
        if query_string:
            values.request = _QueryOnly(request.GET)
        return get_template(template).template.render(values)

    html = cached("part", lambda: (settings.TIME_ZONE, template, *key()), render)
    if CSRF_MARK in html:
        html = html.replace(CSRF_MARK, get_token(request))
    return mark_safe(html)  # noqa: S308 - rendered by our templates, which escape all data


class _QueryOnly:
    """What a part may read of the request: its query string."""

    def __init__(self, query):
        self.GET = query


def parts(request, template: str, *, key: tuple, context) -> list[SafeString]:
    """Like `part`, for a template whose parts the page places apart, split at its breaks."""
    html = part(request, template, key=key, context=context)
    return [mark_safe(piece) for piece in html.split(BREAK)]  # noqa: S308 - as in `part`


def clinic_version() -> tuple:
    """Marks that move on with any change to what the worklist and patient list show.

    The clinic's counter (patients.epochs: moved on after every committed change); the newest
    history row (id and time) of patients, fractures, scans, symptom reports and fracture liaison
    episodes, written by
    every save and delete through the ORM; and the newest stored reading, which covers bulk
    writes (they are followed by a refresh of the readings).
    """
    counters = epochs.marks(epochs.CLINIC)
    return (*counters, *read(_clinic_version_sql(connection.vendor), []))


@functools.cache
def _clinic_version_sql(vendor: str) -> str:
    marks = [
        mark
        for model in (Patient, Fracture, DexaScan, SymptomReport, Episode)
        for mark in newest(model.history.model)
    ]
    marks.append(f"SELECT MAX({column(PatientStatus, 'updated_at')}) FROM {table(PatientStatus)}")
    return select(marks)[0]
