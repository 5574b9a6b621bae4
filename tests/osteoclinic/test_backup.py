"""Backups: a backup restores into a new, empty database with every record as it was.

The restore runs as an operator runs it (docs/backup.md): `manage.py` in its own process, on a
new SQLite file that `migrate` has just created, whatever database the suite itself uses.
"""

import datetime
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from education.models import REVISED_FIELDS, EducationPage
from education.services import page_revision_save
from exchange.import_jobs import pack
from exchange.models import InboundMessage, LocalCode, Sender
from osteoclinic import demo
from outbox.services import message_enqueue
from patients import notifications
from patients.models import Patient
from scans.models import Device, ImportJob

MANAGE = Path(settings.BASE_DIR) / "manage.py"


def manage(database: Path, *args: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` against an SQLite file, with production settings."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "only-for-the-restore-test",
        "DEBUG": "false",
    }
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def counts_of(output: str) -> dict[str, int]:
    """The `label count` lines that `backup` and `restore` print."""
    return {
        label: int(count)
        for label, count in re.findall(r"^([a-z_]+\.[a-z_]+) (\d+)$", output, flags=re.M)
    }


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A new database as `migrate` leaves it (made once, copied by each test)."""
    database = tmp_path_factory.mktemp("migrated") / "new.sqlite3"
    result = manage(database, "migrate", "--no-input")
    assert result.returncode == 0, result.stderr
    return database


@pytest.fixture
def new_database(migrated, tmp_path) -> Path:
    database = tmp_path / "restored.sqlite3"
    shutil.copy(migrated, database)
    return database


@pytest.fixture
def clinic(db, client, django_capture_on_commit_callbacks):
    """The demo clinic, then a day's work through the pages: every kind of record is there."""
    with django_capture_on_commit_callbacks(execute=True):
        demo.seed()
    alice = User.objects.get(username="alice")
    paula = Patient.objects.get(given_name="Paula")
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.get(reverse("patient_record", args=[paula.pk]))  # the access log
        client.post(
            reverse("scans:frax_create", args=[paula.pk]),
            {"date": "2024-06-01", "major_osteoporotic": "21.5", "hip": "4.1", "with_bmd": "on"},
        )
        client.post(
            reverse("scans:scan_create", args=[paula.pk]),
            {
                "device": Device.objects.get(serial="H-4471").pk,
                "date": "2024-06-01",
                "sites-TOTAL_FORMS": "1",
                "sites-INITIAL_FORMS": "0",
                "sites-0-site": "radius_33",
                "sites-0-side": "left",
                "sites-0-bmd": "0.652",
                "sites-0-t_score": "\u22121.9",
                "vertebrae-l1_bmd": "0,801",
                "vertebrae-l1_t_score": "\u22121.2",
                "vertebrae-l2_bmd": "0.795",
                "vertebrae-l2_t_score": "-1.3",
            },
        )
        opened = client.get(reverse("patients:edit", args=[paula.pk])).context["form"]
        edited = {f.html_name: f.value() for f in opened if f.value() not in (None, False)}
        client.post(
            reverse("patients:edit", args=[paula.pk]),
            {**{k: "on" if v is True else v for k, v in edited.items()}, "smoking": "on"},
        )
    admin = User.objects.get(username="admin")
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(Patient),
        object_id=str(paula.pk),
        object_repr=str(paula),
        action_flag=CHANGE,
        change_message="Changed email.",
    )
    alice.user_permissions.add(Permission.objects.get(codename="view_logentry"))
    # An editor's edit of a published page, waiting to be published.
    calcium = EducationPage.objects.get(slug="calcium-vitamin-d")
    page_revision_save(
        page=calcium,
        values={name: getattr(calcium, name) for name in REVISED_FIELDS} | {"summary": "New."},
        user=User.objects.get(username="eddie"),
    )
    # An email waiting in the outbox, paula's email choices and a scan-due notice sent her,
    # and an upload that was checked.
    message_enqueue(kind="email", recipient="paula@example.org", body="Your scan is due.")
    client.force_login(paula.user)
    client.post(reverse("portal:notifications"), {"message": "on", "loaded_version": ""})
    notifications.scan_due(patient=paula, due=datetime.date(2028, 6, 16))
    ImportJob.objects.create(
        created_by=alice,
        filename="scans.csv",
        size=4,
        date_format="iso",
        data=pack("mrn\n"),
        stage="checked",
        counts={"rows": 0},
    )
    # A sender of HL7 results with a local code, and a result it sent for paula.
    sender = Sender.objects.create(application="DXA-REPORTS", device=Device.objects.first())
    LocalCode.objects.create(sender=sender, code="SPN-BMC", site="lumbar_spine", quantity="bmc")
    InboundMessage.objects.create(
        raw="MSH|^~\\&|DXA-REPORTS", status="waiting", reason="No patient.", sender=sender
    )


def records(path: Path) -> list[str]:
    """A backup's records in a comparable form: sorted, many-to-many lists sorted too.

    The JSON format keeps a timestamp's milliseconds: "…48.000Z" comes back as "…48Z".
    """
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as file:
        loaded = json.load(file)

    def plain(value):
        if isinstance(value, str):
            return re.sub(r"\.000(?=Z$|[+-]\d\d:\d\d$)", "", value)
        if isinstance(value, list):
            return sorted(map(plain, value), key=json.dumps)
        return value

    return sorted(
        json.dumps([r["model"], r.get("pk"), {k: plain(v) for k, v in r["fields"].items()}])
        for r in loaded
    )


def test_a_backup_restores_into_a_new_database_with_every_record_as_it_was(
    clinic, new_database, tmp_path
):
    backup = tmp_path / "clinic.json.gz"
    out = io.StringIO()
    call_command("backup", str(backup), stdout=out)
    held = counts_of(out.getvalue())
    # Every kind of record is in the file, so that equal counts mean something.
    assert not [label for label, count in held.items() if count == 0]

    restored = manage(new_database, "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    after = manage(new_database, "backup", "--counts")
    assert counts_of(after.stdout) == held

    again = tmp_path / "again.json.gz"
    assert manage(new_database, "backup", str(again)).returncode == 0
    assert records(again) == records(backup)


def test_a_backup_leaves_out_what_migrate_rebuilds_and_what_expires(clinic, tmp_path):
    backup = tmp_path / "clinic.json"
    call_command("backup", str(backup), stdout=io.StringIO())
    models = {record["model"] for record in json.loads(backup.read_text())}
    assert not {m for m in models if m.split(".")[0] in ("contenttypes", "sessions", "axes")}
    assert "auth.permission" not in models
    assert {"patients.patient", "auth.user", "auth.group", "admin.logentry"} <= models
    assert not list(tmp_path.glob(".partial-*")), "a finished backup leaves no partial file"


def test_a_restore_that_does_not_match_its_file_is_rolled_back_whole(migrated, new_database):
    # The same record twice: loaded once, so the counts disagree with the file.
    page = {
        "model": "auth.group",
        "pk": 99,
        "fields": {"name": "Night shift", "permissions": []},
    }
    backup = new_database.with_name("twice.json")
    backup.write_text(json.dumps([page, page]))
    result = manage(new_database, "restore", str(backup))
    assert result.returncode == 1
    assert "The restore was rolled back: auth.group: 2 in the file, 1 loaded." in result.stderr
    # Still as `migrate` left it: the role groups and the education pages are there.
    as_migrated = counts_of(manage(migrated, "backup", "--counts").stdout)
    assert counts_of(manage(new_database, "backup", "--counts").stdout) == as_migrated
    assert as_migrated["auth.group"] == 2 and as_migrated["education.educationpage"] > 0


def test_a_restore_refuses_a_database_that_already_holds_records(paula, tmp_path):
    backup = tmp_path / "clinic.json"
    call_command("backup", str(backup), stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"already holds records \(1 users, 1 patients\)"):
        call_command("restore", str(backup))
    assert Patient.objects.get() == paula


def test_a_restore_refuses_a_database_that_is_not_migrated(tmp_path):
    backup = tmp_path / "clinic.json"
    backup.write_text("[]")
    result = manage(tmp_path / "blank.sqlite3", "restore", str(backup))
    assert result.returncode == 1
    assert "Run `manage.py migrate` on the new database first." in result.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is not a file written by `manage.py backup`"), (b"\x1f\x8b", "is not a file")],
)
def test_a_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path, content, message):
    backup = tmp_path / "clinic.json.gz"
    backup.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(backup))


def test_a_backup_into_a_folder_that_does_not_exist_says_so(db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "nowhere" / "clinic.json"))
