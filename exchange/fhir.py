"""A patient's DEXA record as a FHIR R4 `collection` Bundle, built from plain dicts.

fhir.resources is a test dependency only: the tests validate what this module builds.

Design (docs/clinical-rules.md §9 and §9.1): one Observation per reported value — BMD, T-score
and Z-score each carry their own LOINC code, and a side-specific code when LOINC has one.
LOINC has no code of its own for the femoral neck (the "femur" codes are used) or the 33%
radius ("radius and ulna"), so every Observation also carries the region in `bodySite`, with
the side in the observation-structureLaterality extension. One DiagnosticReport per scan
(panel 83311-1) gathers its Observations; its conclusion is the reading the clinician sees on
the record.
"""

import datetime
import functools
import json
import uuid
from collections.abc import Callable

from django.conf import settings
from django.utils import timezone

from osteoclinic import fragments
from patients import epochs
from patients.models import DatePrecision, Fracture, Patient
from scans.interpretation import ScanReading, SiteChange, load_scan_readings
from scans.models import Device, DexaScan, ScanStatus, Site, SiteMeasurement, VertebraMeasurement
from scans.rules.basics import MINUS
from scans.rules.fractures import NEEDS_CONFIRMATION, Detection, fracture_documented
from scans.rules.monitoring import Direction
from scans.rules.spine import vertebrae_label

from .codes import LOINC_CODES

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
LATERALITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/observation-structureLaterality"
DXA_PANEL = ("83311-1", "Bone density quantitative measurement by DXA panel")

# SNOMED CT body structures (as DICOM lists them): lumbar spine, neck of femur, proximal femur
# (the total hip region of interest) and radius.
BODY_STRUCTURES = {
    Site.LUMBAR_SPINE: "122496007",
    Site.FEMORAL_NECK: "29627003",
    Site.TOTAL_HIP: "310651003",
    Site.RADIUS_33: "62413002",
}
LATERALITY = {"left": ("7771000", "Left"), "right": ("24028007", "Right")}

# What each value is, and its UCUM unit: g/cm2; T- and Z-scores are unitless annotations.
KINDS = (
    ("bmd", "BMD", "g/cm2", "g/cm2"),
    ("t_score", "T-score", "{T-score}", "T-score"),
    ("z_score", "Z-score", "{Z-score}", "Z-score"),
)

OBSERVATION_STATUS = {
    ScanStatus.DRAFT: "preliminary",
    ScanStatus.REVIEWED: "final",
    ScanStatus.RELEASED: "final",
}

# Stable ids: the same record exports with the same ids, so a receiver can de-duplicate.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://osteoclinic.invalid/fhir")


def _uuid(*parts) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


def _reference(resource: dict, display: str = "") -> dict:
    reference = {"reference": f"urn:uuid:{resource['id']}"}
    if display:
        reference["display"] = display
    return reference


def patient_resource(patient: Patient) -> dict:
    return {
        "resourceType": "Patient",
        "id": _uuid("patient", patient.pk),
        "identifier": [
            {
                "use": "usual",
                "type": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                            "code": "MR",
                            "display": "Medical record number",
                        }
                    ]
                },
                "system": getattr(settings, "FHIR_MRN_SYSTEM", "urn:osteoclinic:mrn"),
                "value": patient.mrn,
            }
        ],
        "name": [{"use": "official", "family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex,
        "birthDate": f"{patient.date_of_birth:%Y-%m-%d}",
    }


def device_resource(device: Device) -> dict:
    resource = {
        "resourceType": "Device",
        "id": _uuid("device", device.pk),
        "manufacturer": device.get_manufacturer_display(),
        "serialNumber": device.serial,
    }
    if device.model:
        resource["deviceName"] = [{"name": device.model, "type": "model-name"}]
    return resource


@functools.cache
def site_label(site: str, side: str) -> str:
    """SiteMeasurement.site_label, looked up once per site and side.

    The model looks its choices up afresh on every call, and a Bundle names each measured site
    several times: that alone took a fifth of the time of building it.
    """
    return SiteMeasurement(site=site, side=side).site_label


def site_text(measurement: SiteMeasurement) -> str:
    """ "Femoral neck (left)"; the spine with the vertebrae actually used ("L1, L2, L4")."""
    if measurement.site == Site.LUMBAR_SPINE:
        return f"Lumbar spine {vertebrae_label(measurement.vertebrae)}"
    return site_label(measurement.site, measurement.side)


def body_site(measurement: SiteMeasurement, text: str) -> dict:
    """The region, always, and its side: the only place the femoral neck and radius are named."""
    site = {
        "coding": [{"system": SNOMED, "code": BODY_STRUCTURES[Site(measurement.site)]}],
        "text": text,
    }
    if measurement.side in LATERALITY:
        code, display = LATERALITY[measurement.side]
        site["extension"] = [
            {
                "url": LATERALITY_EXTENSION,
                "valueCodeableConcept": {
                    "coding": [{"system": SNOMED, "code": code, "display": display}]
                },
            }
        ]
    return site


def observations(
    scan: DexaScan, measurement: SiteMeasurement, patient: dict, device: dict, device_name: str
) -> list[dict]:
    """BMD, T-score and (when reported) Z-score of one site, each its own Observation.

    `device_name` is str(scan.device), worked out once per device rather than per value.
    """
    codes = LOINC_CODES[(measurement.site, measurement.side)]
    status = OBSERVATION_STATUS[ScanStatus(scan.status)]
    text = site_text(measurement)
    found = []
    for code, (name, label, ucum, unit) in zip(codes, KINDS, strict=True):
        value = getattr(measurement, name)
        if value is None:
            continue
        observation = {
            "resourceType": "Observation",
            "id": _uuid("observation", measurement.pk, name),
            "status": status,
            "category": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                            "code": "imaging",
                            "display": "Imaging",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [{"system": LOINC, "code": code}],
                "text": f"{label}, {text}",
            },
            "subject": _reference(patient),
            "effectiveDateTime": f"{scan.date:%Y-%m-%d}",
            "valueQuantity": {"value": float(value), "unit": unit, "system": UCUM, "code": ucum},
            "bodySite": body_site(measurement, text),
            "device": _reference(device, device_name),
        }
        if name == "bmd" and (parts := content_and_area(measurement)):
            observation["component"] = parts
        found.append(observation)
    return found


# BMC and area as the scanner reports them, beside the BMD they give (BMD = BMC / area,
# docs/clinical-rules.md §13). No LOINC code is used for them: the code names the value in text.
CONTENT_AND_AREA = (("bmc", "Bone mineral content (BMC)", "g", "g"), ("area", "Area", "cm2", "cm2"))


def content_and_area(measurement) -> list[dict]:
    return [
        {
            "code": {"text": label},
            "valueQuantity": {
                "value": float(getattr(measurement, name)),
                "unit": unit,
                "system": UCUM,
                "code": ucum,
            },
        }
        for name, label, unit, ucum in CONTENT_AND_AREA
        if getattr(measurement, name) is not None
    ]


def vertebra_observations(
    scan: DexaScan, vertebra: VertebraMeasurement, patient: dict, device: dict, device_name: str
) -> list[dict]:
    """BMD (with BMC and area) and T-score of one lumbar vertebra. LOINC codes the L1–L4 run,
    not one vertebra: the code is text, the region the lumbar spine with the vertebra named."""
    text = f"{vertebra.get_level_display()} vertebra"
    found = []
    for name, label, ucum, unit in KINDS[:2]:
        observation = {
            "resourceType": "Observation",
            "id": _uuid("vertebra", vertebra.pk, name),
            "status": OBSERVATION_STATUS[ScanStatus(scan.status)],
            "code": {"text": f"{label}, {text}"},
            "subject": _reference(patient),
            "effectiveDateTime": f"{scan.date:%Y-%m-%d}",
            "valueQuantity": {
                "value": float(getattr(vertebra, name)),
                "unit": unit,
                "system": UCUM,
                "code": ucum,
            },
            "bodySite": {
                "coding": [{"system": SNOMED, "code": BODY_STRUCTURES[Site.LUMBAR_SPINE]}],
                "text": text,
            },
            "device": _reference(device, device_name),
        }
        if name == "bmd" and (parts := content_and_area(vertebra)):
            observation["component"] = parts
        found.append(observation)
    return found


def _change_line(row: SiteChange) -> str:
    """One site's change since the previous scan, in the words of the record's change table."""
    site = site_label(row.measurement.site, row.measurement.side)
    change = row.previous
    if change is None:
        return f"{site}: first scan of this site — no earlier result to compare."
    since = f"since {row.previous_date:%Y-%m-%d}"
    if change.delta_g_cm2 is None:
        return f"{site} {since}: {change.explanation}"
    delta = f"{change.delta_g_cm2:+.3f}".replace("-", MINUS)
    percent = "" if change.percent is None else f" ({change.percent:+.1f}%)".replace("-", MINUS)
    verdict = {
        Direction.LOSS: "significant loss",
        Direction.GAIN: "significant gain",
        Direction.NO_SIGNIFICANT_CHANGE: "no significant change",
        Direction.NOT_JUDGED: "not judged",
    }[change.direction]
    return f"{site} {since}: {delta} g/cm²{percent}, {verdict}. {change.explanation}"


def conclusion(reading: ScanReading) -> str:
    """The scan's reading as the record shows it: diagnosis, notes, checks, change per site."""
    lines = []
    if reading.diagnosis is not None:
        lines.append(reading.diagnosis.summary)
        lines.extend(reading.diagnosis.notes)
    else:
        lines.append("No diagnostic site could be used for a diagnosis on this scan.")
    lines.extend(f"Check: {warning}" for warning in reading.warnings)
    lines.append("Change since the previous scan:")
    lines.extend(f"- {_change_line(row)}" for row in reading.changes)
    return "\n".join(lines)


def diagnostic_report(reading: ScanReading, patient: dict, results: list[dict]) -> dict:
    scan = reading.scan
    report = {
        "resourceType": "DiagnosticReport",
        "id": _uuid("report", scan.pk),
        "status": OBSERVATION_STATUS[ScanStatus(scan.status)],
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                        "code": "RAD",
                        "display": "Radiology",
                    }
                ]
            }
        ],
        "code": {
            "coding": [{"system": LOINC, "code": DXA_PANEL[0], "display": DXA_PANEL[1]}],
            "text": "DEXA bone density",
        },
        "subject": _reference(patient),
        "effectiveDateTime": f"{scan.date:%Y-%m-%d}",
        "result": [_reference(result) for result in results],
        "conclusion": conclusion(reading),
    }
    if scan.reviewed_at is not None:
        report["issued"] = scan.reviewed_at.isoformat()
    return report


def onset(fracture: Fracture) -> str:
    """The fracture date with the precision it was recorded at: year, year-month or day."""
    if fracture.date_precision == DatePrecision.YEAR:
        return f"{fracture.date:%Y}"
    if fracture.date_precision == DatePrecision.MONTH:
        return f"{fracture.date:%Y-%m}"
    return f"{fracture.date:%Y-%m-%d}"


def condition(fracture: Fracture, patient: dict) -> dict:
    text = f"{fracture.site_label} fracture, {fracture.get_mechanism_display().lower()}"
    if fracture.genant_grade:
        grade = fracture.get_genant_grade_display()
        text += f", Genant {grade[:1].lower()}{grade[1:]}"
    # docs/clinical-rules.md §1.1: confirmed only when documented clinically or on imaging.
    documented = fracture_documented(Detection(fracture.detection))
    if not documented:
        text += f", {NEEDS_CONFIRMATION}"
    resource = {
        "resourceType": "Condition",
        "id": _uuid("condition", fracture.pk),
        "verificationStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                    "code": "confirmed" if documented else "unconfirmed",
                }
            ]
        },
        "code": {"text": text},
        "bodySite": [{"text": fracture.site_label}],
        "subject": _reference(patient),
        "onsetDateTime": onset(fracture),
    }
    if fracture.notes:
        resource["note"] = [{"text": fracture.notes}]
    return resource


def patient_bundle(patient: Patient, *, now: datetime.datetime | None = None) -> dict:
    """The patient, their released scans read as on the record, and their valid fractures.

    A scan not yet released is not a result (docs/clinical-rules.md §16): it is left out.
    """
    # The scans' readings, as the charts load them: the record's prompts (heights, FRAX) are
    # not part of a Bundle.
    loaded = load_scan_readings(patient)
    readings, fractures = loaded["readings"], loaded["fractures"]
    subject = patient_resource(patient)
    resources = [subject]
    vertebrae: dict[int, list[VertebraMeasurement]] = {}
    for vertebra in VertebraMeasurement.objects.filter(
        scan_id__in=[reading.scan.pk for reading in readings]
    ).order_by("scan_id", "level"):
        vertebrae.setdefault(vertebra.scan_id, []).append(vertebra)
    devices: dict[int, tuple[dict, str]] = {}
    for reading in readings:
        scan = reading.scan
        if scan.device_id not in devices:
            devices[scan.device_id] = (device_resource(scan.device), str(scan.device))
            resources.append(devices[scan.device_id][0])
        device, device_name = devices[scan.device_id]
        results = [
            observation
            for row in reading.changes
            for observation in observations(scan, row.measurement, subject, device, device_name)
        ] + [
            observation
            for vertebra in vertebrae.get(scan.pk, ())
            for observation in vertebra_observations(scan, vertebra, subject, device, device_name)
        ]
        resources.extend(results)
        resources.append(diagnostic_report(reading, subject, results))
    resources.extend(condition(fracture, subject) for fracture in fractures)
    now = now or timezone.now()
    # bundle_text() relies on this order: the Bundle's id and time come before its entries.
    return {
        "resourceType": "Bundle",
        "id": _bundle_id(patient, now),
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [
            {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}
            for resource in resources
        ],
    }


def _bundle_id(patient: Patient, now: datetime.datetime) -> str:
    return _uuid("bundle", patient.pk, now.isoformat())


# The time the cached text of a Bundle is made with, replaced by each export's own.
_STAMP = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def bundle_text(
    patient: Patient, *, version: Callable[[], tuple], now: datetime.datetime | None = None
) -> str:
    """patient_bundle() as indented JSON (people read a download too), built once per
    `version()` of the patient's record (record_version with whole=True) and kept in the cache
    (osteoclinic.fragments.cached: with the page parts' cache off, built on every export).

    Two exports of an unchanged record differ only in the Bundle's id and time, which come
    before its entries: the first occurrence of each in the cached text is the Bundle's own.
    """
    now = now or timezone.now()
    text = fragments.cached(
        "fhir",
        lambda: (settings.FHIR_MRN_SYSTEM, patient.pk, version(), *epochs.of_patient(patient.pk)),
        lambda: json.dumps(patient_bundle(patient, now=_STAMP), ensure_ascii=False, indent=2),
    )
    for name, made, now_value in (
        ("id", _bundle_id(patient, _STAMP), _bundle_id(patient, now)),
        ("timestamp", _STAMP.isoformat(), now.isoformat()),
    ):
        text = text.replace(f'"{name}": "{made}"', f'"{name}": "{now_value}"', 1)
    return text
