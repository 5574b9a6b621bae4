"""The MLLP listener: HL7 v2 messages over TCP (docs/clinical-rules.md §14), one asyncio server.

python-hl7's MLLP streams frame and unframe messages (0x0B … 0x1C 0x0D). Each connection is
served on its own, so a client that sends garbage, a truncated frame, an oversized message or
stalls in the middle of one never holds up another. Messages are stored one at a time by a
single database thread, in the order they were read.
"""

import asyncio
import logging
import signal
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections
from hl7.mllp import InvalidBlockError, start_hl7_server

from . import hl7v2
from .inbound import AE, AR, inbound_receive

log = logging.getLogger("osteoclinic.hl7")


def decode(block: bytes) -> str:
    """HL7 v2 text: UTF-8 when it is, else Latin-1 (every byte is one); NUL kept visible."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError:
        text = block.decode("latin-1")
    return text.replace("\x00", "\ufffd")


def receive(text: str) -> str:
    """Store one message (in the database thread) and return its ACK; AR when that failed."""
    close_old_connections()
    try:
        return inbound_receive(raw=text)
    except Exception as error:  # the listener answers every message, whatever went wrong
        log.exception("HL7 message not stored")
        return hl7v2.ack(
            None, AR, f"The clinic could not store the message now ({error}).", control_id="AR"
        )


async def serve(host: str, port: int, *, stop: asyncio.Event, ready=None) -> None:
    limit = settings.HL7_MAX_MESSAGE_BYTES
    idle = settings.HL7_IDLE_SECONDS
    database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hl7-db")
    loop = asyncio.get_running_loop()

    async def answer(writer, text: str) -> None:
        writer.writeblock(text.encode("utf-8"))
        await writer.drain()

    async def connection(reader, writer) -> None:
        peer = writer.get_extra_info("peername")
        try:
            while not stop.is_set():
                try:
                    block = await asyncio.wait_for(reader.readblock(), timeout=idle)
                except asyncio.IncompleteReadError as error:
                    if error.partial:
                        log.warning("%s closed the connection in the middle of a message", peer)
                    return
                except TimeoutError:
                    log.warning("%s sent nothing for %s s: connection closed", peer, idle)
                    return
                except InvalidBlockError:
                    log.warning("%s sent bytes outside an MLLP frame", peer)
                    text = "The bytes received were not framed as MLLP (0x0B … 0x1C 0x0D)."
                    await answer(writer, hl7v2.ack(None, AE, text, control_id="AE"))
                    continue
                except ValueError:
                    # python-hl7 raises ValueError past the limit and drops what it buffered;
                    # the rest of that message cannot be told from the next one: hang up.
                    log.warning("%s sent a message larger than %s bytes", peer, limit)
                    text = f"The message is larger than {limit} bytes and was not stored."
                    await answer(writer, hl7v2.ack(None, AE, text, control_id="AE"))
                    return
                ack = await loop.run_in_executor(database, receive, decode(block))
                await answer(writer, ack)
        except (ConnectionError, OSError) as error:
            log.warning("%s: %s", peer, error)
        finally:
            writer.close()

    server = await start_hl7_server(connection, host, port, limit=limit)
    async with server:
        log.info("Listening for HL7 v2 over MLLP on %s:%s", host, port)
        if ready is not None:
            ready(server)
        await stop.wait()
    database.shutdown(wait=True)


def run(host: str, port: int, ready=None) -> None:
    """Serve until SIGINT or SIGTERM; a message being stored is finished first."""

    async def main():
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        await serve(host, port, stop=stop, ready=ready)

    asyncio.run(main())
