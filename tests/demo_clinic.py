"""The demo clinic with the objects the access table's URLs point at, and each page's path."""

import datetime

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from osteoclinic import demo
from patients.access import CLINICIANS, EDITORS
from patients.models import Patient, SymptomReport
from scans.models import FraxEntry
from tests.access_table import ACCESS, OK, ROLES, checked_import_job

# The education editors' permissions, as their migration grants them (a browser test starts
# from empty tables).
EDITOR_CODENAMES = ("add_educationpage", "change_educationpage", "view_educationpage")


def demo_clinic() -> dict:
    """The demo clinic, and the objects of Paula's that the access table's URLs point at."""
    create_permissions(apps.get_app_config("education"), verbosity=0)
    Group.objects.get_or_create(name=CLINICIANS)
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="education", codename__in=EDITOR_CODENAMES
        )
    )
    demo.seed()
    paula = Patient.objects.get(user__username="paula")
    scan = paula.scans.order_by("-date").first()
    return {
        "paula": paula,
        "pete": Patient.objects.get(user__username="pete"),
        "scan": scan,
        "device": scan.device,
        "frax": FraxEntry.objects.create(
            patient=paula, date=datetime.date(2026, 6, 16), major_osteoporotic="21.0", hip="3.4"
        ),
        "symptom_report": SymptomReport.objects.filter(patient=paula).first(),
        "attachment": paula.education.order_by("pk").first(),
        "import_job": checked_import_job(User.objects.get(username="alice")),
    }


def page_paths(world: dict) -> dict[str, str]:
    """The path of each page (a GET) that some role is shown, by URL name."""
    return {
        name: reverse(name, kwargs=row.kwargs(world))
        for name, row in sorted(ACCESS.items())
        if row.method == "get" and any(row.expected(role) == OK for role in ROLES)
    }
