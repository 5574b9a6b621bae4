"""An import that fails half-way leaves nothing written, on SQLite and PostgreSQL alike."""

import pytest

from exchange.csv_import.writing import import_commit
from patients.models import Patient
from scans.models import Device, DexaScan, SiteMeasurement
from tests.exchange.test_import_status import CSV


class Interrupted(Exception):
    """Stands for anything that stops an import after its writes began (a crash, a kill)."""


def test_an_import_stopped_after_its_writes_leaves_no_trace(db):
    def stop_when_written(stage, done, total):
        if stage == "written":
            assert SiteMeasurement.objects.count() == 3  # the writes did happen …
            raise Interrupted

    with pytest.raises(Interrupted):
        import_commit(text=CSV, date_format="iso", progress=stop_when_written)
    # … and were all rolled back with the import's transaction.
    assert Patient.objects.count() == 0
    assert (Device.objects.count(), DexaScan.objects.count(), SiteMeasurement.objects.count()) == (
        0,
        0,
        0,
    )
    assert DexaScan.history.count() == 0


def test_the_same_file_then_imports_whole(db):
    plan = import_commit(text=CSV, date_format="iso")
    assert plan.counts.new_measurements == 3
    assert SiteMeasurement.objects.count() == 3
