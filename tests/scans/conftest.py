import datetime

import pytest

from scans.models import DexaScan, SiteMeasurement


@pytest.fixture
def paula_scan(paula, hologic):
    scan = DexaScan.objects.create(patient=paula, device=hologic, date=datetime.date(2023, 3, 3))
    SiteMeasurement.objects.create(
        scan=scan, site="lumbar_spine", vertebrae="L1-L4", bmd="0.812", t_score="-2.7"
    )
    return scan
