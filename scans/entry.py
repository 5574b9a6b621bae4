"""What the plausibility rules (scans.plausibility) need from the database, for a result being
entered on a form, in an import or any later way in (docs/clinical-rules.md §13)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, F, FloatField, Max, Min, Sum
from django.db.models.functions import Cast

from patients.models import Sex

from . import plausibility as p
from .models import ScanStatus, Site, SiteMeasurement


@dataclass(frozen=True)
class Entered:
    """One site's result as typed or imported, before it is saved."""

    site: str
    side: str
    bmd: Decimal
    t_score: Decimal

    @property
    def label(self) -> str:
        label = Site(self.site).label
        return f"{label} ({self.side})" if self.side else label


@dataclass(frozen=True)
class Earlier:
    """A released result of the same patient, site and side, for the change since then."""

    date: datetime.date
    bmd: Decimal
    manufacturer: str


def max_change_percent_per_year() -> Decimal:
    """The clinic's setting SCAN_MAX_CHANGE_PERCENT_PER_YEAR (§13: 10% a year by default)."""
    value = getattr(settings, "SCAN_MAX_CHANGE_PERCENT_PER_YEAR", None)
    return p.DEFAULT_MAX_CHANGE_PERCENT_PER_YEAR if value is None else Decimal(str(value))


def _released_measurements():
    return SiteMeasurement.objects.filter(
        scan__entered_in_error=False, scan__status=ScanStatus.RELEASED
    )


def learned_lines(device_ids, *, exclude_scan_id=None) -> dict[tuple, p.Line]:
    """Each scanner's line of T against BMD, per site and sex, from its released results;
    the sums are added up by the database, so a scanner with years of results costs one query."""
    number = FloatField()
    rows = (
        _released_measurements()
        .filter(scan__device_id__in=list(device_ids))
        .exclude(scan_id=exclude_scan_id)
        .annotate(x=Cast("bmd", number), y=Cast("t_score", number))
        .values("scan__device_id", "site", "scan__patient__sex")
        .annotate(
            n=Count("pk"),
            sx=Sum("x"),
            sy=Sum("y"),
            sxx=Sum(F("x") * F("x"), output_field=number),
            sxy=Sum(F("x") * F("y"), output_field=number),
            syy=Sum(F("y") * F("y"), output_field=number),
            low=Min("x"),
            high=Max("x"),
        )
        .order_by()
    )
    lines = {}
    for row in rows:
        line = p.line_from_sums(
            n=row["n"],
            sx=row["sx"],
            sy=row["sy"],
            sxx=row["sxx"],
            sxy=row["sxy"],
            syy=row["syy"],
            spread=row["high"] - row["low"],
        )
        if line is not None:
            lines[(row["scan__device_id"], row["site"], row["scan__patient__sex"])] = line
    return lines


def earlier_results(patient_ids, *, exclude_scan_id=None) -> dict[tuple, list[Earlier]]:
    """Released results by (patient id, site, side), oldest first."""
    found = defaultdict(list)
    rows = (
        _released_measurements()
        .filter(scan__patient_id__in=list(patient_ids))
        .exclude(scan_id=exclude_scan_id)
        .values_list(
            "scan__patient_id", "site", "side", "scan__date", "bmd", "scan__device__manufacturer"
        )
        .order_by("scan__date", "scan_id")
    )
    for patient_id, site, side, day, bmd, manufacturer in rows:
        found[(patient_id, site, side)].append(Earlier(day, bmd, manufacturer))
    return found


def result_warnings(
    result: Entered,
    *,
    manufacturer: str,
    date: datetime.date,
    line: p.Line | None,
    earlier: list[Earlier],
    max_rate: Decimal,
) -> list[str]:
    """Every plausibility warning of one result, each starting with its site."""
    texts = [
        p.nhanes_warning(result.site, result.bmd, result.t_score, manufacturer),
        p.line_warning(line, result.bmd, result.t_score),
    ]
    # §3: BMD is compared on one scale; a scan from another maker is not compared here.
    before = [e for e in earlier if e.date < date and e.manufacturer == manufacturer]
    if before:
        last = before[-1]
        texts.append(
            p.rate_warning(
                previous_date=last.date,
                previous_bmd=last.bmd,
                date=date,
                bmd=result.bmd,
                max_percent_per_year=max_rate,
            )
        )
    return [f"{result.label}: {text}" for text in texts if text]


def scan_warnings(
    *, patient, device, date: datetime.date, results: list[Entered], scan_id=None
) -> list[str]:
    """The plausibility warnings of a scan being entered on a form (three queries)."""
    lines = learned_lines([device.pk], exclude_scan_id=scan_id)
    earlier = earlier_results([patient.pk], exclude_scan_id=scan_id)
    max_rate = max_change_percent_per_year()
    warnings = []
    for result in results:
        warnings += result_warnings(
            result,
            manufacturer=device.manufacturer,
            date=date,
            line=lines.get((device.pk, result.site, patient.sex)),
            earlier=earlier.get((patient.pk, result.site, result.side), []),
            max_rate=max_rate,
        )
    return warnings


@dataclass(frozen=True)
class DeviceLine:
    site: str
    sex: str
    line: p.Line


def device_lines(device) -> list[DeviceLine]:
    """The scanner page's learned lines, in site order, women first."""
    order = {code: index for index, code in enumerate(Site.values)}
    keys = sorted(
        learned_lines([device.pk]).items(), key=lambda item: (order[item[0][1]], item[0][2])
    )
    return [DeviceLine(Site(site).label, Sex(sex).label, line) for (_, site, sex), line in keys]


def vertebra_note(vertebrae) -> str | None:
    """The ISCD exclusion note for stored vertebrae, if one differs from a neighbour."""
    return p.vertebra_exclusion({v.level: v.t_score for v in vertebrae})
