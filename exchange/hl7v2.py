"""HL7 v2 result messages read and written with python-hl7 (docs/clinical-rules.md §14).

Plain functions on text: what an ORU^R01 says (sender, control id, patient, observation date,
one value per OBX), the ACK that answers it, and the ORU^R01 the clinic sends. Nothing here
touches the database.
"""

import datetime
from dataclasses import dataclass, field

import hl7
from django.utils import timezone

# §14: ORU^R01 as HL7 v2.3 to v2.5.1 define it.
VERSIONS = ("2.3", "2.3.1", "2.4", "2.5", "2.5.1")
# Our own name in MSH-3/MSH-4 of what we send.
APPLICATION = "OSTEOCLINIC"
# OBX-11 (HL7 table 0085): final, corrected, preliminary.
FINAL, CORRECTED, PRELIMINARY = "F", "C", "P"


class MessageError(ValueError):
    """The message is wrong (answered AE); the text says what, for the sender and the clinic."""


@dataclass(frozen=True)
class Header:
    application: str = ""
    facility: str = ""
    control_id: str = ""
    message_type: str = ""
    version: str = ""


@dataclass(frozen=True)
class Observation:
    number: int  # OBX-1, or its position
    code: str  # OBX-3.1
    system: str  # OBX-3.3
    text: str  # OBX-3.2
    value_type: str  # OBX-2
    value: str  # OBX-5
    units: str  # OBX-6.1
    status: str  # OBX-11
    body_site: str  # OBX-20, its codes and text joined


@dataclass(frozen=True)
class Identifier:
    value: str
    kind: str  # PID-3.5, e.g. MR


@dataclass
class Result:
    header: Header
    identifiers: list[Identifier] = field(default_factory=list)
    family_name: str = ""
    given_name: str = ""
    birth_date: datetime.date | None = None
    sex: str = ""
    observed_on: datetime.date | None = None
    observations: list[Observation] = field(default_factory=list)

    @property
    def corrected(self) -> bool:
        return any(o.status == CORRECTED for o in self.observations)


def normalise(text: str) -> str:
    """Segments end with a carriage return (§14); senders that end lines otherwise are read too."""
    return text.replace("\r\n", "\r").replace("\n", "\r").strip("\r")


def parse(text: str) -> hl7.Message:
    """The message as python-hl7 reads it; MessageError when it is no HL7 v2 message at all."""
    text = normalise(text)
    if not hl7.ishl7(text):
        raise MessageError("This is not an HL7 v2 message: it does not start with an MSH segment.")
    try:
        return hl7.parse(text)
    except Exception as error:  # python-hl7 raises several kinds on malformed input
        raise MessageError(f"The message cannot be read as HL7 v2: {error}.") from None


def _get(segment, field_num: int, component: int = 1, repeat: int = 1) -> str:
    try:
        value = segment.extract_field(
            field_num=field_num, repeat_num=repeat, component_num=component
        )
    except (IndexError, KeyError, TypeError):
        return ""
    return str(value).strip()


def _repeats(segment, field_num: int) -> int:
    if field_num >= len(segment):
        return 0
    value = segment(field_num)
    return len(value) if isinstance(value, hl7.Field) else 1


def header_of(message: hl7.Message) -> Header:
    msh = message.segment("MSH")
    kind = "^".join(part for part in (_get(msh, 9, 1), _get(msh, 9, 2)) if part)
    return Header(
        application=_get(msh, 3),
        facility=_get(msh, 4),
        control_id=_get(msh, 10),
        message_type=kind,
        version=_get(msh, 12),
    )


def hl7_date(text: str, *, what: str) -> datetime.date | None:
    """The date of an HL7 TS/DTM value (YYYYMMDD[HHMM[SS]][±ZZZZ]); None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        return hl7.parse_datetime(text).date()
    except (ValueError, TypeError):
        raise MessageError(f"{what}: “{text}” is not an HL7 date (YYYYMMDD).") from None


def read_result(message: hl7.Message) -> Result:
    """What an ORU^R01 says; MessageError naming the segment and field that is wrong."""
    header = header_of(message)
    if header.message_type != "ORU^R01":
        raise MessageError(
            f"MSH-9: this listener takes ORU^R01 results, not {header.message_type or 'nothing'}."
        )
    if header.version not in VERSIONS:
        raise MessageError(
            f"MSH-12: HL7 version {header.version or '(empty)'} is not one of "
            f"{', '.join(VERSIONS)}."
        )
    if not header.control_id:
        raise MessageError("MSH-10: the message control id is empty.")
    result = Result(header=header)
    try:
        pid = message.segment("PID")
    except KeyError:
        raise MessageError("The message has no PID segment: whose result is it?") from None
    for repeat in range(1, _repeats(pid, 3) + 1):
        value = _get(pid, 3, 1, repeat)
        if value:
            result.identifiers.append(Identifier(value, _get(pid, 3, 5, repeat)))
    if not result.identifiers:
        raise MessageError("PID-3: no patient identifier (the clinic's MRN) is given.")
    result.family_name, result.given_name = _get(pid, 5, 1), _get(pid, 5, 2)
    result.birth_date = hl7_date(_get(pid, 7), what="PID-7 birth date")
    result.sex = _get(pid, 8)
    try:
        obr = message.segment("OBR")
    except KeyError:
        raise MessageError("The message has no OBR segment: when was the scan done?") from None
    result.observed_on = hl7_date(_get(obr, 7), what="OBR-7 observation date")
    if result.observed_on is None:
        raise MessageError("OBR-7: the observation date (the scan's date) is empty.")
    try:
        segments = message.segments("OBX")
    except KeyError:
        raise MessageError("The message has no OBX segment: no value is reported.") from None
    for position, obx in enumerate(segments, start=1):
        number = _get(obx, 1)
        body_site = " ".join(
            part for part in (_get(obx, 20, 1), _get(obx, 20, 2), _get(obx, 20, 3)) if part
        )
        result.observations.append(
            Observation(
                number=int(number) if number.isdigit() else position,
                code=_get(obx, 3, 1),
                text=_get(obx, 3, 2),
                system=_get(obx, 3, 3),
                value_type=_get(obx, 2),
                value=_get(obx, 5),
                units=_get(obx, 6, 1),
                status=_get(obx, 11),
                body_site=body_site,
            )
        )
    return result


def escaped(message: hl7.Message, text: str) -> str:
    """Text for a field: separators escaped (HL7 2.10.4); other characters kept, sent as UTF-8
    (python-hl7 would write them as \\X..\\ sequences it cannot read back itself)."""
    return "".join(ch if ord(ch) > 0x7E else message.escape(ch) for ch in text)


def _timestamp() -> str:
    return timezone.now().strftime("%Y%m%d%H%M%S")


def ack(message: hl7.Message | None, code: str, text: str = "", *, control_id: str) -> str:
    """The ACK for a message (§14): MSA-1 the code, MSA-2 its control id, MSA-3 the reason.

    Without a readable message (garbage on the wire) the ACK names no control id.
    """
    if message is not None:
        try:
            answer = message.create_ack(
                ack_code=code, message_id=control_id, application=APPLICATION
            )
        except (KeyError, IndexError):
            message = None
    if message is None:
        answer = hl7.parse(
            f"MSH|^~\\&|{APPLICATION}||||{_timestamp()}||ACK|{control_id}|P|2.5.1\rMSA|{code}|"
        )
    if text:
        answer.segment("MSA").assign_field(escaped(answer, text[:800]), 3)
    return str(answer)


def ack_code(text: str) -> tuple[str, str]:
    """MSA-1 and MSA-3 of an ACK received; MessageError when it is none."""
    message = parse(text)
    try:
        msa = message.segment("MSA")
    except KeyError:
        raise MessageError("The answer has no MSA segment.") from None
    return _get(msa, 1), _get(msa, 3)


@dataclass(frozen=True)
class OutboundValue:
    code: str  # LOINC (§9)
    name: str
    value: str
    units: str
    body_site: str


def oru(
    *,
    control_id: str,
    receiving_application: str,
    receiving_facility: str,
    mrn: str,
    family_name: str,
    given_name: str,
    birth_date: datetime.date,
    sex: str,
    observed_on: datetime.date,
    status: str,
    values: list[OutboundValue],
    reading: str,
    panel: tuple[str, str],
) -> str:
    """An ORU^R01 (v2.5.1) of one scan: an OBX per site value, and the reading as text."""
    message = hl7.parse(
        f"MSH|^~\\&|{APPLICATION}||||{_timestamp()}||ORU^R01^ORU_R01|x|P|2.5.1\rPID|1\rOBR|1"
    )

    def put(segment_id: str, value: str, field_num: int, component: int | None = None, n=1):
        message.segments(segment_id)(n).assign_field(
            escaped(message, value), field_num, 1 if component else None, component
        )

    put("MSH", receiving_application, 5)
    put("MSH", receiving_facility, 6)
    put("MSH", control_id, 10)
    put("PID", mrn, 3, 1)
    put("PID", "MR", 3, 5)
    put("PID", family_name, 5, 1)
    put("PID", given_name, 5, 2)
    put("PID", f"{birth_date:%Y%m%d}", 7)
    put("PID", sex, 8)
    put("OBR", panel[0], 4, 1)
    put("OBR", panel[1], 4, 2)
    put("OBR", "LN", 4, 3)
    put("OBR", f"{observed_on:%Y%m%d}", 7)
    put("OBR", status, 25)
    rows = [("NM", v.code, v.name, "LN", v.value, v.units, v.body_site) for v in values] + [
        ("TX", "", "Reading", "", line, "", "") for line in reading.splitlines() if line
    ]
    for number, (kind, code, name, system, value, units, site) in enumerate(rows, start=1):
        message.append(message.create_segment([message.create_field(["OBX"])]))
        n = len(message.segments("OBX"))
        put("OBX", str(number), 1, n=n)
        put("OBX", kind, 2, n=n)
        if code:
            put("OBX", code, 3, 1, n=n)
        put("OBX", name, 3, 2, n=n)
        if system:
            put("OBX", system, 3, 3, n=n)
        put("OBX", value, 5, n=n)
        if units:
            put("OBX", units, 6, 1, n=n)
        put("OBX", status, 11, n=n)
        if site:
            put("OBX", site, 20, 2, n=n)
    return str(message)
