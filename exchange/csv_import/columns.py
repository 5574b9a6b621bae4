"""The columns of an import file, the words each cell may use for a site, side, manufacturer,
sex or menopausal status, and the header that names them.
"""

import re
from dataclasses import dataclass

from patients.csvfile import csv_text
from patients.models import Menopause, Sex
from scans.models import (
    Manufacturer,
    Side,
    Site,
)

# The columns, in the order the template and the exports write them. `menopause` and
# `vertebrae` go beyond the list: without them a new patient would be read by age
# alone and a spine result on three vertebrae would come back as L1–L4 (round trip).
COLUMNS = (
    "mrn",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "scan_date",
    "manufacturer",
    "device_serial",
    "site",
    "side",
    "bmd",
    "t_score",
    "z_score",
    "menopause",
    "vertebrae",
    "bmc",
    "area",
    "status",
    "checked_by",
    "checked_at",
    "checked_warnings",
)
REQUIRED_COLUMNS = ("mrn", "scan_date", "manufacturer", "device_serial", "site", "bmd", "t_score")
IDENTITY_COLUMNS = ("family_name", "given_name", "date_of_birth", "sex")
ERROR_COLUMN = "error"

DATE_FORMATS = {"iso": "YYYY-MM-DD", "dmy": "DD/MM/YYYY"}


def alias_key(text: str) -> str:
    """A value as compared with the alias tables: lower case, dashes unified, single spaces."""
    text = re.sub(r"[\u2010-\u2015\u2212]", "-", text.strip().lower()).replace("_", " ")
    return " ".join(text.split())


# The documented alias tables: what each cell may say, compared by `alias_key`.
SITE_ALIASES: dict[str, Site] = {
    "lumbar spine": Site.LUMBAR_SPINE,
    "lumbar spine l1-l4": Site.LUMBAR_SPINE,
    "l1-l4": Site.LUMBAR_SPINE,
    "spine": Site.LUMBAR_SPINE,
    "femoral neck": Site.FEMORAL_NECK,
    "neck": Site.FEMORAL_NECK,
    "total hip": Site.TOTAL_HIP,
    "radius 33": Site.RADIUS_33,
    "33% radius": Site.RADIUS_33,
    "radius 33%": Site.RADIUS_33,
    "1/3 radius": Site.RADIUS_33,
    "one-third radius": Site.RADIUS_33,
}
# One lumbar vertebra's own result (docs/clinical-rules.md §13): site "L1" … "L4".
VERTEBRA_SITES = {f"l{level}": f"L{level}" for level in range(1, 5)}
SIDE_ALIASES: dict[str, str] = {
    "": Side.NONE,
    "left": Side.LEFT,
    "l": Side.LEFT,
    "right": Side.RIGHT,
    "r": Side.RIGHT,
}
MANUFACTURER_ALIASES: dict[str, Manufacturer] = {
    "hologic": Manufacturer.HOLOGIC,
    "ge lunar": Manufacturer.GE_LUNAR,
    "lunar": Manufacturer.GE_LUNAR,
    "ge": Manufacturer.GE_LUNAR,
    "ge healthcare": Manufacturer.GE_LUNAR,
    "norland": Manufacturer.NORLAND,
    "other": Manufacturer.OTHER,
}
SEX_ALIASES: dict[str, Sex] = {
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
    "male": Sex.MALE,
    "m": Sex.MALE,
}
MENOPAUSE_ALIASES: dict[str, Menopause] = {
    "": Menopause.NOT_APPLICABLE,
    "pre": Menopause.PRE,
    "premenopausal": Menopause.PRE,
    "peri": Menopause.PERI,
    "perimenopausal": Menopause.PERI,
    "post": Menopause.POST,
    "postmenopausal": Menopause.POST,
    "not applicable": Menopause.NOT_APPLICABLE,
    "n/a": Menopause.NOT_APPLICABLE,
    "unknown": Menopause.UNKNOWN,
}

# Spreadsheets run a cell that starts with one of these as a formula; exports prefix it with
# an apostrophe (OWASP "CSV injection"), and the import takes that apostrophe off again.
TEXT_COLUMNS = ("mrn", "family_name", "given_name", "device_serial")


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing in it is imported."""


def column_key(name: str) -> str:
    """A header name compared without regard to case, spaces, underscores or dashes."""
    return re.sub(r"[\s_\-]+", "", name.strip().lower())


COLUMN_KEYS = {column_key(name): name for name in COLUMNS}


@dataclass(frozen=True)
class Header:
    names: tuple[str, ...]  # as written in the file
    positions: dict[str, int]  # our column name → position in the row
    ignored: tuple[str, ...]  # columns of the file we do not read
    delimiter: str


def read_header(cells: list[str], delimiter: str) -> Header:
    """Match the header's names to ours; a missing required column stops the import."""
    positions: dict[str, int] = {}
    ignored = []
    for index, cell in enumerate(cells):
        name = COLUMN_KEYS.get(column_key(cell))
        if name is None:
            if cell.strip() and column_key(cell) != ERROR_COLUMN:
                ignored.append(cell.strip())
            continue
        if name in positions:
            raise ImportFileError(
                f"The column {name} appears twice in the header "
                f"(columns {positions[name] + 1} and {index + 1}): keep one."
            )
        positions[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in positions]
    if missing:
        found = ", ".join(cell.strip() for cell in cells[:6] if cell.strip())[:120]
        raise ImportFileError(
            f"The first line must name the columns; it lacks {', '.join(missing)}"
            + (f" (it reads “{found}”)" if found else "")
            + ". Download the template to see the columns."
        )
    return Header(tuple(cells), positions, tuple(ignored), delimiter)


def template_csv() -> str:
    """The header and one example row, as the upload page offers it."""
    example = {
        "mrn": "EXAMPLE-0001",
        "family_name": "Example",
        "given_name": "Patient",
        "date_of_birth": "1955-04-12",
        "sex": "female",
        "scan_date": "2024-03-01",
        "manufacturer": "Hologic",
        "device_serial": "HZ-100",
        "site": "femoral_neck",
        "side": "left",
        "bmd": "0.598",
        "t_score": "-2.2",
        "z_score": "-0.8",
        "menopause": "post",
        "vertebrae": "",
        "bmc": "",
        "area": "",
        "status": "",
        "checked_by": "",
        "checked_at": "",
        "checked_warnings": "",
    }
    # A vertebra of the same scan's spine, as vendor reports list each one (optional rows).
    vertebra = {
        **example,
        "site": "L1",
        "side": "",
        "bmd": "0.781",
        "t_score": "-1.6",
        "z_score": "",
        "bmc": "11.92",
        "area": "15.26",
    }
    return csv_text(
        COLUMNS,
        [[example[name] for name in COLUMNS], [vertebra[name] for name in COLUMNS]],
    )
