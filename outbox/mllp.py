"""Sending a message's bytes over MLLP (HL7 v2 over TCP: 0x0B … 0x1C 0x0D) and reading the ACK.

The message's recipient is the endpoint, "host:port"; its body is the HL7 text. The receiver's
answer is kept on the message. MSA-1 AA is delivered; AE (the receiver found the message
wrong) and AR (it could not take it now) count as failed attempts, so the outbox tries again
and the answer stays visible in the admin and on the record the message is about.
"""

import asyncio

import hl7
from django.conf import settings
from hl7.mllp import open_hl7_connection


class Refused(Exception):
    """The receiver answered, but not AA."""


def endpoint(recipient: str) -> tuple[str, int]:
    host, _, port = recipient.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"The MLLP endpoint {recipient!r} is not host:port.")
    return host, int(port)


async def _exchange(host: str, port: int, data: bytes, timeout: float) -> bytes:
    reader, writer = await asyncio.wait_for(open_hl7_connection(host, port), timeout)
    try:
        writer.writeblock(data)
        await asyncio.wait_for(writer.drain(), timeout)
        return await asyncio.wait_for(reader.readblock(), timeout)
    finally:
        writer.close()


def send_mllp(message) -> None:
    """Send the body as one MLLP frame and keep the answer; raise unless it is AA."""
    host, port = endpoint(message.recipient)
    timeout = getattr(settings, "HL7_OUTBOUND_TIMEOUT", 30)
    answer = asyncio.run(_exchange(host, port, message.body.encode("utf-8"), timeout))
    message.response = answer.decode("utf-8", errors="replace")
    try:
        msa = hl7.parse(message.response.replace("\n", "\r")).segment("MSA")
    except (KeyError, ValueError) as error:
        raise Refused(f"The answer is no HL7 ACK ({error}).") from None
    code = str(msa(1)) if len(msa) > 1 else ""
    if code not in ("AA", "CA"):
        text = str(msa(3)) if len(msa) > 3 else ""
        raise Refused(f"{code or 'no MSA-1'}: {text or 'no reason given'}")
