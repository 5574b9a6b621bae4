"""Standardized BMD, to compare scans from different manufacturers — docs/clinical-rules.md §6
(use with care).
"""

from __future__ import annotations

from .basics import Manufacturer, Site, round_half_away

# docs/clinical-rules.md §6: sBMD (mg/cm²) = 1000 × (a + b × BMD). Total hip: Hanson 1997 / ICSBM;
# femoral neck: Lu 2001 (PubMed 11446558). Values are (a, b).
SBMD_HIP: dict[tuple[Site, Manufacturer], tuple[float, float]] = {
    (Site.FEMORAL_NECK, Manufacturer.HOLOGIC): (0.019, 1.087),
    (Site.FEMORAL_NECK, Manufacturer.GE_LUNAR): (-0.023, 0.939),
    (Site.FEMORAL_NECK, Manufacturer.NORLAND): (0.006, 0.985),
    (Site.TOTAL_HIP, Manufacturer.HOLOGIC): (0.006, 1.008),
    (Site.TOTAL_HIP, Manufacturer.GE_LUNAR): (-0.031, 0.979),
    (Site.TOTAL_HIP, Manufacturer.NORLAND): (0.026, 1.012),
}
# docs/clinical-rules.md §6 (Hui 1997): spine sBMD (g/cm²) = slope × (BMD − centre) + 1.0436.
SBMD_SPINE: dict[Manufacturer, tuple[float, float]] = {
    Manufacturer.HOLOGIC: (1.0550, 0.972),
    Manufacturer.GE_LUNAR: (0.9683, 1.100),
    Manufacturer.NORLAND: (0.9743, 0.969),
}
SBMD_SPINE_MEAN = 1.0436


def standardized_g_cm2(manufacturer: Manufacturer, site: Site, bmd: float) -> float | None:
    if site == Site.LUMBAR_SPINE and manufacturer in SBMD_SPINE:
        slope, centre = SBMD_SPINE[manufacturer]
        return slope * (bmd - centre) + SBMD_SPINE_MEAN
    if (site, manufacturer) in SBMD_HIP:
        a, b = SBMD_HIP[(site, manufacturer)]
        return a + b * bmd
    return None


def standardized_bmd(manufacturer: Manufacturer, site: Site, bmd: float) -> float | None:
    """Standardized BMD in mg/cm² (one decimal), or None for the radius or another maker."""
    value = standardized_g_cm2(manufacturer, site, bmd)
    return None if value is None else round_half_away(1000 * value, 1)
