"""The charts of one patient: data from the stored records, SVG from charts.py, and a cache.

A chart is cached under a key derived from exactly the data it draws, so a new or corrected
scan gives a new key, and a repeat view is served without drawing again (design.md "Charts").
Finding that key means loading and reading the whole record, so a second, small entry maps the
record's version (`record_version`, one query) to it: a repeat view of an unchanged record
loads nothing more.
"""

import datetime
import hashlib
import logging

from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control

from patients.models import Fracture, Treatment

from . import charts, plain
from .interpretation import ScanReading, load_scan_readings, precision_for, record_version
from .rules.basics import MINUS, Menopause, Sex, format_score
from .rules.diagnosis import uses_z_scores
from .rules.monitoring import lsc_g_cm2

log = logging.getLogger(__name__)

KINDS = ("tscore", "zscore", "bmd")
CACHE_SECONDS = 60 * 60 * 24 * 30


def _label(measurement, words: bool = False) -> str:
    if words:
        # The patient's charts name sites in everyday words; the table beside adds the term.
        return plain.site_short(measurement.site, measurement.side)
    return measurement.site_label


def layout_of(request) -> charts.Layout:
    """The size asked for (`?size=narrow` for a phone, `large` for the full-screen view)."""
    try:
        return charts.LAYOUTS[request.GET.get("size") or charts.WIDE.name]
    except KeyError:
        raise Http404("No such chart size.") from None


def _events(fractures: list[Fracture]) -> tuple[charts.Event, ...]:
    return tuple(charts.Event(f.date, f"{f.site_label} fracture") for f in fractures)


def _spans(treatments: list[Treatment]) -> tuple[charts.Span, ...]:
    return tuple(charts.Span(t.start, t.stop, t.name) for t in treatments if t.is_bone_therapy)


def shown_kinds(patient, reading) -> tuple[str, str]:
    """The two charts of a record: the score it is read on, and BMD.

    Premenopausal women and men under 50 are read on Z-scores (docs/clinical-rules.md §2):
    their score chart is of Z-scores against the expected range for age, never T-scores
    against WHO bands.
    Judged at the latest scan, as its diagnosis is, even when no Z-score was recorded.
    """
    latest = reading.latest
    on = latest.scan.date if latest is not None else datetime.date.today()
    z_basis = uses_z_scores(
        sex=Sex(patient.sex), age=patient.age_on(on), menopause=Menopause(patient.menopause)
    )
    return ("zscore" if z_basis else "tscore", "bmd")


def _value(kind: str, measurement) -> float | None:
    if kind == "tscore":
        return float(measurement.t_score)
    if kind == "zscore":
        # Optional on a scan: a scan without one has no point on this chart.
        return None if measurement.z_score is None else float(measurement.z_score)
    return float(measurement.bmd)


def chart_inputs(
    kind: str,
    readings,
    fractures,
    treatments,
    studies,
    *,
    layout: charts.Layout = charts.WIDE,
    words: bool = False,
) -> dict:
    """The plain data one chart draws: series (and LSC bands for BMD), fractures, therapy,
    and the layout it is drawn in (so the cache key holds it too)."""
    points: dict[str, list[charts.Point]] = {}
    baselines: dict[str, tuple] = {}
    for reading in readings:
        reading: ScanReading
        for change in reading.changes:
            m = change.measurement
            value = _value(kind, m)
            if value is None:
                continue
            label = _label(m, words)
            first = baselines.setdefault(label, (reading.scan, m))
            significant = change.baseline is not None and bool(change.baseline.significant)
            if change.baseline is None and change.previous is not None:
                significant = bool(change.previous.significant)
            points.setdefault(label, []).append(
                charts.Point(
                    date=reading.scan.date,
                    value=value,
                    other_scanner=reading.scan.device_id != first[0].device_id,
                    significant=significant and kind == "bmd",
                )
            )
    series = tuple(charts.Series(label, tuple(values)) for label, values in points.items())
    inputs = {
        "series": series,
        "fractures": _events(fractures),
        "treatments": _spans(treatments),
        "layout": layout.name,
        "words": words,
    }
    if kind == "bmd":
        bands = []
        for label, (scan, m) in baselines.items():
            precision = precision_for(studies, scan.device_id, m.site, scan.date)
            lsc = lsc_g_cm2(precision, float(m.bmd))
            if lsc is not None:
                bands.append(charts.Band(label, float(m.bmd), lsc))
        inputs["bands"] = tuple(bands)
    return inputs


def chart_key(kind: str, inputs: dict) -> str:
    return charts.chart_key(kind, *(inputs[name] for name in sorted(inputs)))


def render(kind: str, inputs: dict) -> bytes:
    log.info("rendering %s chart", kind)
    drawn = {
        "fractures": inputs["fractures"],
        "treatments": inputs["treatments"],
        "layout": charts.LAYOUTS[inputs["layout"]],
        "words": inputs["words"],
    }
    if kind in ("tscore", "zscore"):
        draw = charts.t_score_chart if kind == "tscore" else charts.z_score_chart
        return draw(inputs["series"], **drawn)
    return charts.bmd_chart(inputs["series"], bands=inputs["bands"], **drawn)


def patient_chart_response(request, patient, kind: str, *, words: bool = False):
    """A patient's trend chart of released scans as SVG, the same numbers for the clinician and
    the patient (a draft is never drawn as a result; the patient's names sites in everyday
    words), in the size asked for; the record is loaded only when it changed."""
    layout = layout_of(request)
    version = repr((charts.CHART_VERSION, record_version(patient))).encode()
    index = f"chart-of:{patient.pk}:{kind}:{layout.name}:{int(words)}:"
    index += hashlib.sha256(version).hexdigest()
    key = cache.get(index)
    if key is not None:
        if _etag(key) in request.headers.get("If-None-Match", ""):
            return _headers(HttpResponseNotModified(), key)
        svg = cache.get(key)
        if svg is not None:
            return _headers(HttpResponse(svg, content_type="image/svg+xml"), key)
    records = load_scan_readings(patient)
    inputs = chart_inputs(
        kind,
        records["readings"],
        records["fractures"],
        records["treatments"],
        records["studies"],
        layout=layout,
        words=words,
    )
    response = chart_response(request, kind, inputs)
    cache.set(index, chart_key(kind, inputs), CACHE_SECONDS)
    return response


def chart_response(request, kind: str, inputs: dict) -> HttpResponse:
    """A trend chart as SVG."""
    return svg_response(request, kind, inputs, lambda: render(kind, inputs))


def svg_response(request, kind: str, data, draw) -> HttpResponse:
    """The SVG, from the cache when it is there; 304 when the browser already has it."""
    key = charts.chart_key(kind, data) if not isinstance(data, dict) else chart_key(kind, data)
    if _etag(key) in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        svg = cache.get(key)
        if svg is None:
            svg = draw()
            cache.set(key, svg, CACHE_SECONDS)
        response = HttpResponse(svg, content_type="image/svg+xml")
    return _headers(response, key)


def _etag(key: str) -> str:
    return f'"{key}"'


def _headers(response: HttpResponse, key: str) -> HttpResponse:
    response["ETag"] = _etag(key)
    # Health data: never in a shared cache, and always revalidated.
    patch_cache_control(response, private=True, no_cache=True)
    return response


def trend_summary(kind: str, inputs: dict, names: dict[str, str] | None = None) -> str:
    """The chart in a sentence per site, first and latest value, for its text alternative."""
    names = names or {}
    parts = []
    for series in inputs["series"]:
        points = sorted(series.points, key=lambda point: point.date)
        if not points:
            continue
        first, last = points[0], points[-1]
        name = names.get(series.label, series.label)
        if kind == "bmd":
            start, end = f"{first.value:.3f}", f"{last.value:.3f} g/cm²"
        else:
            start, end = format_score(first.value), format_score(last.value)
        if len(points) == 1:
            parts.append(f"{name}: {end} on {last.date:%-d %B %Y}")
            continue
        text = f"{name}: from {start} on {first.date:%-d %B %Y} to {end} on {last.date:%-d %B %Y}"
        if kind == "bmd" and first.value:
            percent = f"{100 * (last.value - first.value) / first.value:+.1f}%"
            text += f" ({percent.replace('-', MINUS)})"
        parts.append(text)
    return "; ".join(parts) + "." if parts else ""


def chart_table(kind: str, inputs: dict) -> list[dict]:
    """The same numbers as the chart, for the table beside it."""
    rows = []
    for series in inputs["series"]:
        for point in series.points:
            rows.append({"series": series.label, "point": point})
    return sorted(rows, key=lambda row: (row["point"].date, row["series"]))
