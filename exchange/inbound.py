"""Results received by HL7 v2: every message kept as it came, read, matched to a patient, checked
like the scan form's results and stored as a draft (docs/clinical-rules.md §9, §13, §14, §14.1).

The answer follows §14: AA when the message is stored (as a draft, or kept for a clinician to
match or confirm), AE with the reason when the message is wrong, AR when it cannot be stored
now. The same MSH-10 from the same sender again is answered as the first time and stores
nothing new.
"""

import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from patients.dates import date_check
from patients.models import Patient
from patients.numbers import NumberError, format_number, parse_number
from patients.signals import announce_record_changed
from scans import entry
from scans.models import (
    AREA_MAX,
    AREA_MIN,
    BMC_MAX,
    BMC_MIN,
    BMD_MAX,
    BMD_MIN,
    SCORE_MAX,
    SCORE_MIN,
    DexaScan,
    ScanStatus,
    Site,
    SiteMeasurement,
)

from . import codes, hl7v2
from .models import InboundMessage, InboundStatus, LocalCode, Sender

AA, AE, AR = "AA", "AE", "AR"

# Per value: (lowest, highest, decimals the database keeps), the model's own bounds.
BOUNDS = {
    "bmd": (BMD_MIN, BMD_MAX, 3),
    "t_score": (SCORE_MIN, SCORE_MAX, 1),
    "z_score": (SCORE_MIN, SCORE_MAX, 1),
    "bmc": (BMC_MIN, BMC_MAX, 2),
    "area": (AREA_MIN, AREA_MAX, 2),
}
# OBX-6 as senders write the units of each value; an empty unit is taken as the standard one.
UNITS = {
    "bmd": {"g/cm2", "g/cm²", "g/cm^2", "g/cm**2"},
    "bmc": {"g"},
    "area": {"cm2", "cm²", "cm^2", "cm**2"},
}
NUMERIC_TYPES = {"NM", "SN", "ST"}
SIDED_SITES = {Site.TOTAL_HIP, Site.FEMORAL_NECK, Site.RADIUS_33}
NAMES = {"bmd": "BMD", "t_score": "T-score", "z_score": "Z-score", "bmc": "BMC", "area": "area"}


class Waiting(Exception):  # noqa: N818 - an outcome, not a failure
    """The message is right but needs a clinician: an unknown patient, a name or birth date
    that does not match, a result to confirm against the report, an unknown sender."""


@dataclass
class SiteValues:
    site: str
    side: str
    values: dict[str, Decimal]


def _side_from(body_site: str) -> str:
    words = body_site.lower().replace("^", " ").split()
    if {"left", "l", "lt", "7771000"} & set(words):
        return "left"
    if {"right", "r", "rt", "24028007"} & set(words):
        return "right"
    return ""


def _number(obs: hl7v2.Observation, quantity: str) -> Decimal:
    where = f"OBX {obs.number} ({obs.code})"
    try:
        value = parse_number(obs.value, field=where)
    except NumberError as error:
        raise hl7v2.MessageError(str(error)) from None
    return value_check(value, quantity, where=where, as_sent=obs.value)


def value_check(value: Decimal, quantity: str, *, where: str, as_sent: str) -> Decimal:
    """The value when it fits the record's bounds and decimals; MessageError naming it if not."""
    low, high, places = BOUNDS[quantity]
    if not Decimal(low) <= value <= Decimal(high):
        raise hl7v2.MessageError(
            f"{where}: {format_number(value)} is outside {format_number(Decimal(low))} to "
            f"{format_number(Decimal(high))}."
        )
    if -value.as_tuple().exponent > places:
        raise hl7v2.MessageError(
            f"{where}: {as_sent} has more than {places} decimals; scanners report "
            f"{places} (docs/clinical-rules.md §1)."
        )
    return value


def site_values(
    result: hl7v2.Result, local: dict[str, LocalCode]
) -> tuple[list[SiteValues], list[str]]:
    """The values of each site and side (§9 codes, then the sender's local codes), and the
    OBX values not read, named; MessageError when a value is wrong."""
    found: dict[tuple[str, str], SiteValues] = {}
    unread = []
    for obs in result.observations:
        meaning = None
        if obs.code in local:
            code = local[obs.code]
            meaning = codes.Meaning(code.site, code.side, code.quantity)
        elif obs.system in ("LN", "LOINC", "") and obs.code in codes.LOINC:
            meaning = codes.LOINC[obs.code]
        if meaning is None or obs.value_type not in NUMERIC_TYPES:
            if obs.value_type in NUMERIC_TYPES and obs.value:
                unread.append(f"OBX {obs.number} ({obs.code or 'no code'} {obs.text}".strip() + ")")
            continue
        if obs.status == hl7v2.PRELIMINARY:
            raise hl7v2.MessageError(
                f"OBX {obs.number}: a preliminary value (OBX-11 P) is not stored; send the final "
                "result."
            )
        units = UNITS.get(meaning.quantity)
        if units and obs.units and obs.units not in units:
            raise hl7v2.MessageError(
                f"OBX {obs.number} ({obs.code}): units “{obs.units}”, expected "
                f"{codes.UNITS[meaning.quantity]}."
            )
        side = "" if meaning.site == Site.LUMBAR_SPINE else meaning.side
        side = side or ("" if meaning.site == Site.LUMBAR_SPINE else _side_from(obs.body_site))
        if meaning.site in SIDED_SITES and not side:
            raise hl7v2.MessageError(
                f"OBX {obs.number} ({obs.code}): {Site(meaning.site).label} without a side; "
                "use the sided code or give left or right in OBX-20."
            )
        key = (meaning.site, side)
        entry_ = found.setdefault(key, SiteValues(meaning.site, side, {}))
        if meaning.quantity in entry_.values:
            raise hl7v2.MessageError(
                f"OBX {obs.number} ({obs.code}): a second {NAMES[meaning.quantity]} "
                f"for {label(entry_)}."
            )
        entry_.values[meaning.quantity] = _number(obs, meaning.quantity)
    if not found:
        raise hl7v2.MessageError(
            "No OBX carries a DXA value with a LOINC code of docs/clinical-rules.md §9 or a "
            "local code of this sender."
        )
    for values in found.values():
        missing = [q for q in ("bmd", "t_score") if q not in values.values]
        if missing:
            raise hl7v2.MessageError(
                f"{label(values)}: no {' and no '.join(NAMES[m] for m in missing)}; "
                "a site is stored with its BMD and T-score."
            )
    return list(found.values()), unread


def label(values: SiteValues) -> str:
    text = Site(values.site).label
    return f"{text} ({values.side})" if values.side else text


def sender_for(header: hl7v2.Header) -> Sender | None:
    """The sender set up for MSH-3 and MSH-4 (or for MSH-3 from any facility)."""
    candidates = Sender.objects.filter(
        application=header.application, facility__in=[header.facility, ""], active=True
    ).select_related("device")
    return max(candidates, key=lambda s: s.facility != "", default=None)


def _patient_for(inbound: InboundMessage, result: hl7v2.Result) -> Patient:
    if inbound.patient_id is not None:
        return inbound.patient  # a clinician matched it
    mrns = [i.value for i in result.identifiers]
    preferred = [i.value for i in result.identifiers if i.kind.upper() == "MR"]
    found = {p.mrn: p for p in Patient.objects.filter(mrn__in=mrns)}
    for mrn in preferred + mrns:
        if mrn in found:
            patient = found[mrn]
            break
    else:
        raise Waiting(f"No patient has the MRN {', '.join(mrns)} given in PID-3.")
    differences = []
    if result.family_name and result.family_name.casefold() != patient.family_name.casefold():
        differences.append(f"family name “{result.family_name}”, record “{patient.family_name}”")
    if result.given_name and result.given_name.casefold() != patient.given_name.casefold():
        differences.append(f"given name “{result.given_name}”, record “{patient.given_name}”")
    if result.birth_date is not None and result.birth_date != patient.date_of_birth:
        differences.append(
            f"birth date {result.birth_date:%Y-%m-%d}, record {patient.date_of_birth:%Y-%m-%d}"
        )
    if differences:
        raise Waiting(
            f"MRN {patient.mrn} is {patient}, but the message says: "
            + "; ".join(differences)
            + ". Match it to the right patient."
        )
    return patient


def _store(
    *, inbound: InboundMessage, result, sender, patient, found, warnings, user
) -> tuple[DexaScan, str]:
    """The draft scan of a message: new, or a correction (OBX-11 C) of the one it corrects."""
    existing = (
        DexaScan.objects.valid()
        .filter(patient=patient, device=sender.device, date=result.observed_on, corrects=None)
        .first()
    )
    header = result.header
    note = f"Received by HL7 v2 from {sender} (message {header.control_id})."
    corrects = None
    if existing is not None and not result.corrected:
        raise hl7v2.MessageError(
            f"A scan of {patient.mrn} on {sender.device} of {result.observed_on:%Y-%m-%d} is "
            "already stored; send a corrected result (OBX-11 C) to change it."
        )
    if existing is not None and existing.status != ScanStatus.RELEASED:
        scan, what = existing, "replaced the values of its draft"
        scan.notes = f"{scan.notes}\n{note} Corrected values.".strip()
    else:
        if existing is not None:
            corrects = existing
            already = corrects.corrections.filter(entered_in_error=False).first()
            if already is not None:
                # A second correction before the first is released replaces the first's values.
                existing, corrects = already, None
        if existing is not None and corrects is None:
            scan, what = existing, "replaced the values of the waiting correction"
            scan.notes = f"{scan.notes}\n{note} Corrected values.".strip()
        else:
            scan = DexaScan(patient=patient, device=sender.device, date=result.observed_on)
            scan.notes = note
            what = "stored as a draft"
            if corrects is not None:
                scan.corrects = corrects
                scan.notes = (
                    f"{note} Corrects the released result of {corrects.date:%Y-%m-%d} "
                    f"(scan {corrects.pk}); releasing this draft replaces it."
                )
                what = f"stored as a draft correcting the released scan {corrects.pk}"
    scan.status, scan.reviewed_by, scan.reviewed_at = ScanStatus.DRAFT, None, None
    if warnings:
        scan.checked_warnings = warnings
        scan.checked_by = user.get_username() if user is not None else ""
        scan.checked_at = timezone.now()
    scan.save()
    measurements_store(scan=scan, found=found)
    announce_record_changed(DexaScan, patient)
    return scan, what


def measurements_store(*, scan: DexaScan, found: list[SiteValues]) -> None:
    """The scan's site values as received: each site's row made or its values replaced."""
    stored = {(m.site, m.side): m for m in scan.measurements.all()}
    for values in found:
        measurement = stored.get((values.site, values.side)) or SiteMeasurement(
            scan=scan,
            site=values.site,
            side=values.side,
            vertebrae="L1-L4" if values.site == Site.LUMBAR_SPINE else "",
        )
        for quantity in BOUNDS:
            setattr(measurement, quantity, values.values.get(quantity))
        measurement.save()


def _process(inbound: InboundMessage, *, user=None) -> None:
    """Read, match, check and store one kept message; its status, reason and answer are set."""
    inbound.reason, inbound.status = "", InboundStatus.ERROR
    try:
        message = hl7v2.parse(inbound.raw)
        result = hl7v2.read_result(message)
        sender = sender_for(result.header)
        if sender is None:
            raise Waiting(
                f"No HL7 sender “{result.header.application}” "
                f"({result.header.facility or 'any facility'}) is set up: add it in the admin "
                "with the scanner it reports for, then process the message again."
            )
        inbound.sender = sender
        local = {code.code: code for code in sender.local_codes.all()}
        found, unread = site_values(result, local)
        patient = _patient_for(inbound, result)
        inbound.patient = patient
        try:
            date_check(result.observed_on, what="scan date (OBR-7)", born=patient.date_of_birth)
        except ValidationError as error:
            raise hl7v2.MessageError(" ".join(error.messages)) from None
        warnings = plausibility_warnings(
            patient=patient, device=sender.device, date=result.observed_on, found=found
        )
        if warnings and warnings != inbound.checked_warnings:
            inbound.checked_warnings = []
            raise Waiting(
                "Check these values against the printed report, then confirm and process the "
                "message again (docs/clinical-rules.md §13): " + " ".join(warnings)
            )
        with transaction.atomic():
            scan, what = _store(
                inbound=inbound,
                result=result,
                sender=sender,
                patient=patient,
                found=found,
                warnings=warnings,
                user=user,
            )
        inbound.scan, inbound.status, inbound.ack_code = scan, InboundStatus.STORED, AA
        inbound.reason = f"Scan {scan.pk} {what}." + (
            f" Not read (no §9 or local code): {', '.join(unread)}." if unread else ""
        )
    except Waiting as waiting:
        inbound.status, inbound.ack_code, inbound.reason = InboundStatus.WAITING, AA, str(waiting)
    except hl7v2.MessageError as error:
        inbound.status, inbound.ack_code, inbound.reason = InboundStatus.ERROR, AE, str(error)
    except IntegrityError:
        # Another way in stored the same scan at the same moment: the message waits, kept.
        inbound.status, inbound.ack_code = InboundStatus.WAITING, AA
        inbound.reason = "The scan changed while this message was stored: process it again."
    if user is not None:
        inbound.processed_by, inbound.processed_at = user.get_username(), timezone.now()
    inbound.save()


def _new_control_id() -> str:
    return uuid.uuid4().hex[:20]


def inbound_receive(*, raw: str, retried: bool = False) -> str:
    """Keep one message off the wire, process it, and answer the ACK (§14)."""
    try:
        message = hl7v2.parse(raw)
        header = hl7v2.header_of(message)
    except hl7v2.MessageError as error:
        message, header = None, hl7v2.Header()
        problem = str(error)
    else:
        problem = ""
    try:
        with transaction.atomic():
            if header.control_id:
                earlier = (
                    InboundMessage.objects.select_for_update()
                    .filter(
                        sending_application=header.application,
                        sending_facility=header.facility,
                        control_id=header.control_id,
                    )
                    .first()
                )
                if earlier is not None:
                    earlier.resends += 1
                    earlier.save(update_fields=["resends"])
                    return hl7v2.ack(
                        message,
                        earlier.ack_code or AA,
                        f"Already received: {earlier.reason}",
                        control_id=_new_control_id(),
                    )
            inbound = InboundMessage.objects.create(
                raw=raw,
                sending_application=header.application,
                sending_facility=header.facility,
                control_id=header.control_id,
                message_type=header.message_type,
                status=InboundStatus.ERROR,
                reason=problem,
                ack_code=AE,
            )
            if not problem:
                _process(inbound)
    except IntegrityError as error:
        # The same message arrived twice at once on two connections: the other one keeps it,
        # and this one is answered as a resend.
        if not retried:
            return inbound_receive(raw=raw, retried=True)
        return hl7v2.ack(
            message, AR, f"The message could not be stored ({error}).", control_id=_new_control_id()
        )
    except DatabaseError as error:
        return hl7v2.ack(
            message,
            AR,
            f"The clinic cannot store results now ({type(error).__name__}); send it again later.",
            control_id=_new_control_id(),
        )
    return hl7v2.ack(message, inbound.ack_code, inbound.reason, control_id=_new_control_id())


@transaction.atomic
def inbound_process_again(
    *, inbound: InboundMessage, user, patient: Patient | None = None, confirm: list | None = None
) -> InboundMessage:
    """A clinician processes a kept message again: matched to `patient`, with the warnings
    they checked against the report (`confirm`, the list shown to them)."""
    inbound = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if inbound.status == InboundStatus.STORED:
        return inbound
    if patient is not None:
        inbound.patient = patient
    if confirm is not None:
        inbound.checked_warnings = list(confirm)
    _process(inbound, user=user)
    return inbound


def pending_warnings(inbound: InboundMessage) -> list[str]:
    """The plausibility warnings a waiting message asks a clinician to confirm, as computed now."""
    if inbound.status != InboundStatus.WAITING or inbound.patient_id is None:
        return []
    try:
        result = hl7v2.read_result(hl7v2.parse(inbound.raw))
        sender = inbound.sender or sender_for(result.header)
        if sender is None:
            return []
        local = {code.code: code for code in sender.local_codes.all()}
        found, _ = site_values(result, local)
    except hl7v2.MessageError:
        return []
    return plausibility_warnings(
        patient=inbound.patient, device=sender.device, date=result.observed_on, found=found
    )


def plausibility_warnings(*, patient, device, date, found: list[SiteValues]) -> list[str]:
    """The scan form's plausibility warnings for the message's values (§13)."""
    existing = DexaScan.objects.valid().filter(
        patient=patient, device=device, date=date, corrects=None
    )
    return entry.scan_warnings(
        patient=patient,
        device=device,
        date=date,
        results=[
            entry.Entered(v.site, v.side, v.values["bmd"], v.values["t_score"]) for v in found
        ],
        scan_id=existing.values_list("pk", flat=True).first(),
    )
