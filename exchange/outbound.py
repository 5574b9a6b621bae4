"""Results sent to the referrer's EHR as HL7 v2 ORU^R01 when a scan is released (§9, §14).

A clinic turns it on with HL7_OUTBOUND_ENDPOINT; the message goes through the outbox (written
in the release's transaction, sent by a worker over MLLP, retried), and its answer is kept.
"""

import uuid

from django.conf import settings

from outbox.models import Message
from outbox.services import message_enqueue
from scans.interpretation import load_scan_readings
from scans.models import DexaScan

from . import codes, hl7v2
from .fhir import conclusion, site_text

KIND = "hl7"
SEX = {"female": "F", "male": "M"}


def about(scan: DexaScan) -> str:
    return f"scan:{scan.pk}"


def oru_for(scan: DexaScan, *, corrected: bool) -> str:
    """The scan's site values with their §9 codes, and its reading as text."""
    patient = scan.patient
    readings = load_scan_readings(patient)["readings"]
    reading = next((r for r in readings if r.scan.pk == scan.pk), None)
    values = []
    for measurement in scan.measurements.all():
        for quantity in codes.QUANTITIES:
            value = getattr(measurement, quantity)
            if value is None:
                continue
            values.append(
                hl7v2.OutboundValue(
                    code=codes.loinc_for(measurement.site, measurement.side, quantity),
                    name=f"{codes.QUANTITY_NAMES[quantity]}, {site_text(measurement)}",
                    value=str(value),
                    units=codes.UNITS.get(quantity, ""),
                    body_site=site_text(measurement),
                )
            )
    return hl7v2.oru(
        control_id=uuid.uuid4().hex[:20],
        receiving_application=settings.HL7_OUTBOUND_APPLICATION,
        receiving_facility=settings.HL7_OUTBOUND_FACILITY,
        mrn=patient.mrn,
        family_name=patient.family_name,
        given_name=patient.given_name,
        birth_date=patient.date_of_birth,
        sex=SEX.get(patient.sex, "U"),
        observed_on=scan.date,
        status=hl7v2.CORRECTED if corrected else hl7v2.FINAL,
        values=values,
        reading=conclusion(reading) if reading is not None else "",
        panel=(codes.PANEL, codes.PANEL_NAME),
    )


def outbound_enqueue(*, scan: DexaScan) -> Message | None:
    """On release: the scan's ORU^R01 into the outbox, when the clinic sends results."""
    if not settings.HL7_OUTBOUND_ENDPOINT:
        return None
    corrected = (
        scan.corrects_id is not None
        or Message.objects.filter(kind=KIND, about=about(scan)).exists()
    )
    return message_enqueue(
        kind=KIND,
        recipient=settings.HL7_OUTBOUND_ENDPOINT,
        subject=f"ORU^R01 of the scan of {scan.date:%Y-%m-%d}",
        body=oru_for(scan, corrected=corrected),
        reason=f"Scan of {scan.patient.mrn} released" + (" again" if corrected else ""),
        about=about(scan),
    )
