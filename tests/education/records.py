"""Minimal records for the education tests: scans with one site, fractures, pages by slug."""

import datetime

from education.models import EducationPage
from patients.models import Fracture
from scans.models import DexaScan, SiteMeasurement


def add_scan(
    patient,
    device,
    day: datetime.date,
    t_score: str,
    *,
    bmd: str = "0.800",
    z_score: str | None = None,
    site: str = "lumbar_spine",
    status: str = "released",
) -> DexaScan:
    scan = DexaScan.objects.create(patient=patient, device=device, date=day, status=status)
    SiteMeasurement.objects.create(
        scan=scan,
        site=site,
        side="" if site == "lumbar_spine" else "left",
        vertebrae="L1-L4" if site == "lumbar_spine" else "",
        bmd=bmd,
        t_score=t_score,
        z_score=z_score,
    )
    return scan


def add_fracture(patient, day: datetime.date, site="wrist", mechanism="fragility", **fields):
    if site == "vertebral":
        fields.setdefault("vertebral_level", "L1")
    return Fracture.objects.create(
        patient=patient, date=day, site=site, mechanism=mechanism, **fields
    )


def page(slug: str) -> EducationPage:
    return EducationPage.objects.get(slug=slug)


def page_form(edited: EducationPage, **changes) -> dict:
    """The admin's change form of a page, as posted, with some fields changed."""
    data = {
        "title": edited.title,
        "slug": edited.slug,
        "summary": edited.summary,
        "body": edited.body,
        "audience": edited.audience,
        "status": edited.status,
        "triggers": list(edited.triggers),
        "order": edited.order,
        "review_due": "",
    }
    data.update(changes)
    return data
