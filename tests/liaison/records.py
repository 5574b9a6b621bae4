"""Fracture liaison records for tests: a fragility fracture and its episode."""

import datetime

from liaison.models import Episode
from patients.models import Fracture


def fragility_fracture(patient, day: datetime.date, site: str = "wrist", **fields) -> Fracture:
    if site == "vertebral":
        fields.setdefault("vertebral_level", "L1")
    return Fracture.objects.create(
        patient=patient, date=day, site=site, mechanism="fragility", **fields
    )


def episode(patient, fracture_day: datetime.date, site: str = "wrist", **fields) -> Episode:
    fracture = fragility_fracture(patient, fracture_day, site)
    fields.setdefault("identified_by", "emergency")
    fields.setdefault("identified_on", fracture_day)
    return Episode.objects.create(patient=patient, fracture=fracture, **fields)
