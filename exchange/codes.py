"""LOINC codes of DXA results (docs/clinical-rules.md §9), both ways.

There is no LOINC code of its own for the femoral neck or the 33% radius: the femur codes carry
the femoral neck and the radius-and-ulna codes the 33% radius, and the region is carried
explicitly beside them (OBX-20 body site in HL7 v2, `bodySite` in FHIR).
"""

from dataclasses import dataclass

PANEL = "83311-1"
PANEL_NAME = "Bone density quantitative measurement by DXA panel"
SYSTEM = "LN"  # HL7 table 0396: LOINC
FHIR_SYSTEM = "http://loinc.org"


@dataclass(frozen=True)
class Meaning:
    site: str  # scans.models.Site
    side: str  # "" when the code names no side
    quantity: str  # exchange.models.Quantity


# (site, side) → (BMD, T-score, Z-score), as §9's table gives them ("" = side not given).
LOINC_CODES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("lumbar_spine", ""): ("24966-4", "38267-1", "85394-5"),
    ("total_hip", ""): ("38261-4", "38264-8", "80933-5"),
    ("total_hip", "left"): ("46278-8", "80946-7", "80938-4"),
    ("total_hip", "right"): ("46279-6", "80945-9", "80937-6"),
    ("femoral_neck", ""): ("24701-5", "38263-0", "80934-3"),
    ("femoral_neck", "left"): ("80954-1", "80948-3", "80940-0"),
    ("femoral_neck", "right"): ("80953-3", "80947-5", "80939-2"),
    ("radius_33", ""): ("24890-6", "38265-5", "80932-7"),
    ("radius_33", "left"): ("80952-5", "80944-2", "80936-8"),
    ("radius_33", "right"): ("80951-7", "80943-4", "80935-0"),
}
QUANTITIES = ("bmd", "t_score", "z_score")

LOINC: dict[str, Meaning] = {
    code: Meaning(site, side, quantity)
    for (site, side), codes in LOINC_CODES.items()
    for quantity, code in zip(QUANTITIES, codes, strict=True)
}

NAMES = {
    "lumbar_spine": "Lumbar spine",
    "total_hip": "Total hip",
    "femoral_neck": "Femoral neck",
    "radius_33": "Radius 33%",
}
QUANTITY_NAMES = {"bmd": "BMD", "t_score": "T-score", "z_score": "Z-score"}
UNITS = {"bmd": "g/cm2", "bmc": "g", "area": "cm2"}


def loinc_for(site: str, side: str, quantity: str) -> str:
    """The most specific §9 code of a site's value (sided where the table has a side)."""
    codes = LOINC_CODES.get((site, side)) or LOINC_CODES[(site, "")]
    return codes[QUANTITIES.index(quantity)]
