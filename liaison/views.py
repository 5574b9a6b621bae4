"""Clinician pages of the fracture liaison service: episodes, their steps and the KPI page."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe

from osteoclinic import fragments
from patients.access import clinician_required, patient_for_request
from patients.audit import records_access
from patients.forms import EnteredInErrorForm
from patients.models import AccessAction
from scans.trends import svg_response

from . import charts, kpis, report, services
from .forms import STEPS, EpisodeOpenForm, PeriodForm, eligible_fractures
from .models import Episode, step_state
from .steps import due_steps


def _posted(request):
    return request.POST if request.method == "POST" else None


def _episode_for_request(request, pk, *, valid_only=True) -> Episode:
    episodes = Episode.objects.select_related("fracture", "dxa_scan", "created_by")
    episode = get_object_or_404(episodes.valid() if valid_only else episodes, pk=pk)
    episode.patient = patient_for_request(request, episode.patient_id)
    return episode


@records_access(AccessAction.RECORD)
@clinician_required
def episode_create(request, pk):
    patient = patient_for_request(request, pk)
    initial = {"identified_on": datetime.date.today()}
    if fracture := request.GET.get("fracture"):
        initial["fracture"] = fracture
    form = EpisodeOpenForm(_posted(request), patient=patient, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            episode = services.episode_open(form=form, user=request.user)
        except IntegrityError:
            # Two clinicians opening one fracture's episode at once: the database keeps one.
            form.add_error(
                "fracture",
                "An episode was opened for this fracture a moment ago: open it from the "
                "patient's record.",
            )
        else:
            messages.success(request, "Fracture liaison episode opened.")
            return redirect(episode)
    context = {
        "form": form,
        "patient": patient,
        "has_fractures": eligible_fractures(patient).exists(),
    }
    return render(request, "liaison/episode_form.html", context)


@records_access(AccessAction.RECORD, Episode)
@clinician_required
def episode_detail(request, pk):
    episode = _episode_for_request(request, pk, valid_only=False)
    today = datetime.date.today()
    context = {
        "episode": episode,
        "patient": episode.patient,
        "due": due_steps(step_state(episode), today=today, window=report.window_days()),
        "window_label": report.window_label(),
        "steps": STEPS,
        "versions": _versions(episode),
    }
    return render(request, "liaison/episode_detail.html", context)


HISTORY_SHOWN = 50


def _versions(episode: Episode) -> list[dict]:
    """Every saved version of the episode, newest first, with who saved it and which fields
    changed: one query."""
    rows = list(episode.history.select_related("history_user")[: HISTORY_SHOWN + 1])
    versions = []
    for newer, older in zip(rows, [*rows[1:], None], strict=True):
        if older is None:
            changed = ["opened"] if newer.history_type == "+" else []
        else:
            delta = newer.diff_against(older, excluded_fields=["updated_at"])
            names = {c.field for c in delta.changes}
            changed = [str(f.verbose_name) for f in Episode._meta.fields if f.name in names]
        who = newer.history_user.get_username() if newer.history_user else "—"
        versions.append({"when": newer.history_date, "who": who, "changed": changed})
    return versions[:HISTORY_SHOWN]


@records_access(AccessAction.RECORD, Episode)
@clinician_required
def episode_step(request, pk, step):
    form_class = STEPS.get(step)
    if form_class is None:
        raise Http404("No such step.")
    episode = _episode_for_request(request, pk)
    form = form_class(_posted(request), instance=episode)
    saved = request.method == "POST" and form.is_valid() and services.episode_step_record(form=form)
    if saved:
        messages.success(request, f"{form_class.title} saved.")
        return redirect(episode)
    context = {"form": form, "episode": episode, "patient": episode.patient, "step": form_class}
    return render(request, "liaison/episode_step.html", context)


@records_access(AccessAction.RECORD, Episode)
@clinician_required
def episode_error(request, pk):
    episode = _episode_for_request(request, pk)
    form = EnteredInErrorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        services.episode_mark_error(episode=episode, reason=form.cleaned_data["reason"])
        messages.success(request, "Episode marked as entered in error.")
        return redirect(episode.patient)
    context = {"form": form, "record": episode, "patient": episode.patient, "noun": "episode"}
    return render(request, "liaison/episode_error.html", context)


# --- KPIs: counts over the clinic, no patient named ---------------------------------------


def _period(request, today: datetime.date):
    """The chosen period, or the default twelve months; the form carries any error."""
    first, last = report.default_period(today)
    form = PeriodForm(request.GET or None, initial={"first": first, "last": last})
    if request.GET and form.is_valid():
        first, last = form.cleaned_data["first"], form.cleaned_data["last"]
    return form, first, last


@clinician_required
def kpi_page(request):
    today = datetime.date.today()
    form, first, last = _period(request, today)
    first, last = kpis.month_of(first), kpis.month_of(last)
    query = f"?first={first:%Y-%m}&last={last:%Y-%m}"
    context = {
        "form": form,
        "first": first,
        "last": last,
        "today": today,
        "query": query,
        "window_label": report.window_label(),
        "part": _report_part(first, last, today, query),
    }
    return render(request, "liaison/kpi_page.html", context)


def _report_part(first, last, today, query) -> str:
    """The KPI tables and run charts, rendered once for as long as no record changes.

    Keyed by the clinic's counter and the newest history of episodes and fractures (see
    report.kpi_version), the day (what is due moves on), the window and the code's version.
    """

    def build() -> str:
        built = report.report_build(first=first, last=last, today=today)
        runs = [{"result": result, "points": built.run(result.number)} for result in built.results]
        context = {"report": built, "runs": runs, "query": query}
        return render_to_string("liaison/_kpi_report.html", context)

    marks = (settings.FLS_ASSESSMENT_WINDOW, first, last, today, query)
    html = fragments.cached("fls-kpis", lambda: (*marks, report.kpi_version()), build)
    return mark_safe(html)  # noqa: S308 - rendered by our template, which escapes all data


@clinician_required
def kpi_chart(request, number):
    if number not in kpis.TITLES:
        raise Http404("No such KPI.")
    today = datetime.date.today()
    _form, first, last = _period(request, today)
    built = report.report_build(first=first, last=last, today=today)
    points = built.run(number)
    title = f"KPI {number}: {kpis.TITLES[number]}"
    levels = built.results[number - 1].levels
    return svg_response(
        request,
        f"fls-kpi-{number}",
        (title, levels, points),
        lambda: charts.run_chart(points, title=title, levels=levels),
    )


@clinician_required
def kpi_csv(request):
    today = datetime.date.today()
    _form, first, last = _period(request, today)
    built = report.report_build(first=first, last=last, today=today)
    response = StreamingHttpResponse(
        report.report_csv_lines(built), content_type="text/csv; charset=utf-8"
    )
    name = f"fls-kpis-{built.first:%Y-%m}-to-{built.last:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    patch_cache_control(response, private=True, no_store=True)
    return response
