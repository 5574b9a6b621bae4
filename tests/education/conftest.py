"""Fixtures for the education tests."""

import pytest

from scans.models import Device


@pytest.fixture
def hologic(db):
    return Device.objects.create(manufacturer="hologic", model="Horizon A", serial="HZ-EDU")
