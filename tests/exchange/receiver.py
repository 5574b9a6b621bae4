"""A referrer's EHR for the tests: a real MLLP server on 127.0.0.1 that keeps what it receives
and answers each message with the ACK code it is told to."""

import asyncio
import threading

import hl7
from hl7.mllp import start_hl7_server

from tests.exchange.listening import free_port


class Receiver:
    def __init__(self, port: int | None = None, *, code: str = "AA", text: str = ""):
        self.port = port or free_port(2650, 2699)
        self.code, self.text = code, text
        self.received: list[str] = []
        self._loop = None
        self._thread = None

    async def _client(self, reader, writer):
        try:
            while True:
                message = await reader.readmessage()
                self.received.append(str(message))
                ack = message.create_ack(ack_code=self.code, message_id="ACK1")
                if self.text:
                    ack.segment("MSA").assign_field(self.text, 3)
                writer.writemessage(ack)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def start(self) -> "Receiver":
        ready = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                start_hl7_server(self._client, "127.0.0.1", self.port, encoding="utf-8")
            )
            ready.set()
            self._loop.run_forever()
            self._server.close()
            self._loop.run_until_complete(self._server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        assert ready.wait(10), "the receiver did not start"
        return self

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


def parsed(text: str) -> hl7.Message:
    return hl7.parse(text)
