"""HL7 v2 messages for the tests, built with python-hl7 from a few values."""

import hl7

from exchange import codes
from exchange.hl7v2 import escaped


def oru(
    *,
    control_id="MSG-1",
    application="DXA-REPORTS",
    facility="CLINIC",
    mrn="MRN-PAULA",
    family="Fischer",
    given="Paula",
    born="19550412",
    observed="20240305",
    status="F",
    values=(("24966-4", "0.812"), ("38267-1", "-2.7")),
    version="2.5.1",
    extra_obx=(),
) -> str:
    """An ORU^R01 whose OBX carry `values`, (code, value) pairs with §9 codes or local ones."""
    message = hl7.parse(
        f"MSH|^~\\&|{application}|{facility}|OSTEOCLINIC||20240305120000||ORU^R01|"
        f"{control_id}|P|{version}\r"
        f"PID|1||{mrn}^^^CLINIC^MR||{family}^{given}||{born}|F\r"
        f"OBR|1||ACC-1|{codes.PANEL}^DXA panel^LN|||{observed}"
    )
    for number, (code, value) in enumerate(values, start=1):
        meaning = codes.LOINC.get(code)
        units = codes.UNITS.get(meaning.quantity, "") if meaning else ""
        system = "LN" if meaning else "L"
        segment = hl7.parse(
            f"MSH|^~\\&|\rOBX|{number}|NM|{code}^value^{system}||x|{units}|||||{status}"
        ).segment("OBX")
        segment.assign_field(escaped(message, value), 5)
        message.append(segment)
    for text in extra_obx:
        message.append(hl7.parse(f"MSH|^~\\&|\r{text}").segment("OBX"))
    return str(message)
