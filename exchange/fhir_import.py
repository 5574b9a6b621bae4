"""FHIR R4 Bundles of DXA results read into draft scans (docs/clinical-rules.md §9, §13).

OsteoClinic's own export, or another system's Observations with the §9 LOINC codes (each
DiagnosticReport's results form one scan; Observations outside a report are grouped by patient,
scanner and date). fhir.resources validates the Bundle first. Every value goes through the
checks of the scan form: bounds and decimals, date bounds, plausibility; a flagged scan is
stored only when the importer says it was checked against the report.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError as FhirInvalid

from patients.dates import date_check
from patients.models import Menopause, Patient, Sex
from patients.signals import announce_record_changed
from scans.models import Device, DexaScan, Manufacturer, Site

from . import codes, hl7v2
from .inbound import SiteValues, label, measurements_store, plausibility_warnings, value_check

MR = "MR"
CONTENT_AND_AREA = {"bone mineral content (bmc)": "bmc", "area": "area"}


class BundleError(ValueError):
    """The file is no FHIR R4 Bundle this import can read; the text says why."""


@dataclass
class Found:
    """One scan of the Bundle: who, which scanner, when, and its site values."""

    patient_ref: str
    device_ref: str
    date: datetime.date
    sites: dict[tuple[str, str], SiteValues] = field(default_factory=dict)
    unread: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    stored: list[DexaScan] = field(default_factory=list)
    same: list[str] = field(default_factory=list)  # already in the clinic, unchanged
    flagged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    new_patients: list[Patient] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)


def read_bundle(text: str | bytes) -> Bundle:
    try:
        return Bundle.model_validate_json(text)
    except FhirInvalid as error:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        raise BundleError(
            f"Not a valid FHIR R4 Bundle ({error.error_count()} problem"
            f"{'s' if error.error_count() != 1 else ''}; first at {where or 'the top'}: "
            f"{first.get('msg', error)})."
        ) from None
    except ValueError as error:
        raise BundleError(f"Not a FHIR Bundle in JSON: {error}.") from None


def _ref(reference) -> str:
    return (reference.reference or "") if reference is not None else ""


def _date(value) -> datetime.date | None:
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    try:
        return datetime.date.fromisoformat(text[:10])
    except ValueError:
        return None


def _side(observation) -> str:
    site = observation.bodySite
    if site is None:
        return ""
    for extension in site.extension or ():
        concept = extension.valueCodeableConcept
        for coding in (concept.coding or ()) if concept is not None else ():
            text = f"{coding.code} {coding.display}".lower()
            if "7771000" in text or "left" in text:
                return "left"
            if "24028007" in text or "right" in text:
                return "right"
    text = (site.text or "").lower()
    return "left" if "left" in text else "right" if "right" in text else ""


def _observation_values(observation, where: str) -> tuple[codes.Meaning, dict] | None:
    meaning = next(
        (
            codes.LOINC[coding.code]
            for coding in (observation.code.coding or ())
            if coding.system == codes.FHIR_SYSTEM and coding.code in codes.LOINC
        ),
        None,
    )
    if meaning is None:
        return None
    quantity = observation.valueQuantity
    if quantity is None or quantity.value is None:
        raise hl7v2.MessageError(f"{where}: no valueQuantity.")
    values = {meaning.quantity: Decimal(str(quantity.value))}
    for part in observation.component or ():
        name = CONTENT_AND_AREA.get((part.code.text or "").lower())
        if name and part.valueQuantity is not None and part.valueQuantity.value is not None:
            values[name] = Decimal(str(part.valueQuantity.value))
    return meaning, values


def found_scans(bundle: Bundle) -> tuple[list[Found], dict, dict, list[str]]:
    """The scans a Bundle holds, its Patients and Devices by reference, and errors by resource."""
    resources = {}
    for entry in bundle.entry or ():
        resource = entry.resource
        if resource is None:
            continue
        key = entry.fullUrl or f"{resource.get_resource_type()}/{resource.id}"
        resources[key] = resource
        if resource.id:
            resources[f"{resource.get_resource_type()}/{resource.id}"] = resource
    by_type = lambda kind: {k: r for k, r in resources.items() if r.get_resource_type() == kind}  # noqa: E731
    patients, devices = by_type("Patient"), by_type("Device")
    observations = by_type("Observation")
    groups: dict[tuple, list[str]] = {}
    for key, report in by_type("DiagnosticReport").items():
        refs = [_ref(result) for result in report.result or ()]
        groups[("report", key)] = [ref for ref in refs if ref in observations]
    in_reports = {ref for refs in groups.values() for ref in refs}
    for key, observation in observations.items():
        if (
            key in in_reports
            or key.startswith("Observation/")
            and f"urn:uuid:{observation.id}" in in_reports
        ):
            continue
        group = (
            _ref(observation.subject),
            _ref(observation.device),
            str(_date(observation.effectiveDateTime)),
        )
        groups.setdefault(group, []).append(key)
    scans, errors, seen = [], [], set()
    for refs in groups.values():
        found: Found | None = None
        for ref in refs:
            observation = observations[ref]
            if id(observation) in seen:
                continue
            seen.add(id(observation))
            where = f"Observation {observation.id or ref}"
            try:
                read = _observation_values(observation, where)
            except hl7v2.MessageError as error:
                errors.append(str(error))
                continue
            if read is None:
                text = observation.code.text or "no §9 code"
                (found.unread if found else errors).append(f"{where} ({text}): not read.")
                continue
            meaning, values = read
            day = _date(observation.effectiveDateTime)
            if day is None:
                errors.append(f"{where}: no effectiveDateTime.")
                continue
            if found is None:
                found = Found(_ref(observation.subject), _ref(observation.device), day)
                scans.append(found)
            side = "" if meaning.site == Site.LUMBAR_SPINE else meaning.side or _side(observation)
            site = found.sites.setdefault((meaning.site, side), SiteValues(meaning.site, side, {}))
            site.values.update(values)
    return scans, patients, devices, errors


def _mrn(resource) -> str:
    for identifier in resource.identifier or ():
        kinds = {c.code for c in (identifier.type.coding or ())} if identifier.type else set()
        if MR in kinds or (identifier.system or "").endswith("mrn"):
            return identifier.value or ""
    return next((i.value for i in resource.identifier or () if i.value), "")


def _patient(resource, outcome: Outcome) -> Patient:
    mrn = _mrn(resource)
    if not mrn:
        raise hl7v2.MessageError(f"Patient {resource.id}: no identifier (MRN).")
    patient = Patient.objects.filter(mrn=mrn).first()
    if patient is not None:
        return patient
    name = (resource.name or [None])[0]
    born = _date(resource.birthDate)
    if name is None or not name.family or born is None or resource.gender not in Sex.values:
        raise hl7v2.MessageError(
            f"Patient {mrn}: not in the clinic, and the Bundle lacks a name, birth date or sex "
            "(female or male) to add them."
        )
    patient = Patient.objects.create(
        mrn=mrn,
        family_name=name.family,
        given_name=" ".join(name.given or ()),
        date_of_birth=born,
        sex=resource.gender,
        # As the CSV import does: a woman's menopausal status is not in the Bundle.
        menopause=Menopause.UNKNOWN if resource.gender == Sex.FEMALE else Menopause.NOT_APPLICABLE,
    )
    announce_record_changed(Patient, patient)
    outcome.new_patients.append(patient)
    return patient


def _device(resource, fallback: Device | None) -> Device:
    if resource is None:
        if fallback is None:
            raise hl7v2.MessageError("The Observations name no Device: choose the scanner.")
        return fallback
    makers = {label.lower(): value for value, label in Manufacturer.choices}
    maker = makers.get((resource.manufacturer or "").lower(), Manufacturer.OTHER)
    serial = resource.serialNumber or ""
    if not serial:
        if fallback is None:
            raise hl7v2.MessageError(f"Device {resource.id}: no serial number.")
        return fallback
    model = next((n.name for n in resource.deviceName or () if n.name), "")
    device, _ = Device.objects.get_or_create(
        manufacturer=maker, serial=serial, defaults={"model": model}
    )
    return device


def import_bundle(
    *, text: str | bytes, user=None, device: Device | None = None, checked: bool = False
) -> Outcome:
    """Store each scan of the Bundle as a draft; the rest is said in the outcome, by scan."""
    bundle = read_bundle(text)
    scans, patients, devices, errors = found_scans(bundle)
    outcome = Outcome(errors=errors)
    for found in scans:
        where = f"Scan of {found.date:%Y-%m-%d}"
        try:
            with transaction.atomic():
                _import_one(found, patients, devices, device, user, checked, outcome, where)
        except hl7v2.MessageError as error:
            outcome.errors.append(f"{where}: {error}")
    return outcome


def _import_one(found, patients, devices, fallback, user, checked, outcome, where) -> None:
    if found.patient_ref not in patients:
        raise hl7v2.MessageError(
            f"its subject {found.patient_ref or '(none)'} is not in the Bundle."
        )
    patient = _patient(patients[found.patient_ref], outcome)
    where = f"{where} of {patient.mrn}"
    scanner = _device(devices.get(found.device_ref), fallback)
    try:
        date_check(found.date, what="scan date", born=patient.date_of_birth)
    except ValidationError as error:
        raise hl7v2.MessageError(" ".join(error.messages)) from None
    sites = list(found.sites.values())
    for values in sites:
        missing = [q for q in ("bmd", "t_score") if q not in values.values]
        if missing:
            raise hl7v2.MessageError(f"{label(values)}: no {' and no '.join(missing)}.")
        if values.site in (Site.TOTAL_HIP, Site.FEMORAL_NECK, Site.RADIUS_33) and not values.side:
            raise hl7v2.MessageError(f"{label(values)}: no side (bodySite laterality).")
        for quantity, value in values.values.items():
            value_check(value, quantity, where=label(values), as_sent=str(value))
    existing = (
        DexaScan.objects.valid()
        .filter(patient=patient, device=scanner, date=found.date, corrects=None)
        .first()
    )
    if existing is not None:
        stored = {
            (m.site, m.side): {
                q: getattr(m, q)
                for q in ("bmd", "t_score", "z_score", "bmc", "area")
                if getattr(m, q) is not None
            }
            for m in existing.measurements.all()
        }
        if stored == {(v.site, v.side): v.values for v in sites}:
            outcome.same.append(f"{where}: already in the clinic.")
            return
        raise hl7v2.MessageError(
            "a scan of that day on that scanner is stored with other values; correct it on its "
            "page, the import never overwrites one."
        )
    warnings = plausibility_warnings(patient=patient, device=scanner, date=found.date, found=sites)
    if warnings and not checked:
        outcome.flagged.append(f"{where}: " + " ".join(warnings))
        return
    scan = DexaScan(
        patient=patient, device=scanner, date=found.date, notes="Imported from a FHIR Bundle."
    )
    if warnings:
        scan.checked_warnings = warnings
        scan.checked_by = user.get_username() if user is not None else ""
        scan.checked_at = timezone.now()
    scan.save()
    measurements_store(scan=scan, found=sites)
    announce_record_changed(DexaScan, patient)
    outcome.stored.append(scan)
    outcome.unread.extend(found.unread)
