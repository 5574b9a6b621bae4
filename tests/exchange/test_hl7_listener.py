"""The MLLP listener as a real process: a real client over TCP on 127.0.0.1."""

import contextlib
import socket
import time

import hl7
import pytest
from hl7.client import MLLPClient

from exchange.hl7v2 import ack_code
from exchange.models import InboundMessage, InboundStatus, Sender
from scans.models import DexaScan, ScanStatus
from tests.conftest import make_patient
from tests.exchange.hl7_messages import oru
from tests.exchange.listening import END, START, exchange, start_listener, stop_listener


@pytest.fixture
def listener(transactional_db, tmp_path):
    process = start_listener(tmp_path / "listener.log", HL7_IDLE_SECONDS="30")
    yield process
    stop_listener(process)


@pytest.fixture
def clinic(transactional_db, hologic):
    import datetime

    paula = make_patient(
        "MRN-PAULA",
        family_name="Fischer",
        given_name="Paula",
        date_of_birth=datetime.date(1955, 4, 12),
    )
    Sender.objects.create(application="DXA-REPORTS", facility="CLINIC", device=hologic)
    return paula


def answer(text: str) -> tuple[str, str]:
    return ack_code(text)


def test_a_good_message_is_answered_aa_and_stored_as_a_draft(clinic, listener):
    with MLLPClient("127.0.0.1", listener.port) as client:
        reply = client.send_message(oru()).decode("utf-8")
    ack = hl7.parse(reply.strip("\x0b\x1c\r"))
    assert str(ack.segment("MSA")(1)) == "AA"
    assert str(ack.segment("MSA")(2)) == "MSG-1"
    scan = DexaScan.objects.get(patient=clinic)
    assert scan.status == ScanStatus.DRAFT
    assert str(scan.date) == "2024-03-05"
    spine = scan.measurements.get()
    assert (spine.site, str(spine.bmd), str(spine.t_score)) == ("lumbar_spine", "0.812", "-2.7")
    stored = InboundMessage.objects.get()
    assert stored.status == InboundStatus.STORED and stored.scan == scan
    assert stored.raw.startswith("MSH|^~\\&|DXA-REPORTS")


def test_a_resend_is_answered_aa_and_stores_nothing_new(clinic, listener):
    assert answer(exchange(listener.port, oru()))[0] == "AA"
    code, text = answer(exchange(listener.port, oru()))
    assert code == "AA" and "Already received" in text
    assert DexaScan.objects.count() == 1
    assert InboundMessage.objects.get().resends == 1


def test_an_unknown_patient_lands_in_the_inbound_queue(clinic, listener):
    code, text = answer(exchange(listener.port, oru(mrn="MRN-NOBODY", control_id="M2")))
    assert code == "AA" and "No patient has the MRN MRN-NOBODY" in text
    waiting = InboundMessage.objects.get()
    assert waiting.status == InboundStatus.WAITING and waiting.patient is None
    assert not DexaScan.objects.exists()


def test_a_wrong_message_is_answered_ae_with_the_reason(clinic, listener):
    code, text = answer(exchange(listener.port, oru(values=(("24966-4", "0.812"),))))
    assert code == "AE" and "no T-score" in text
    assert InboundMessage.objects.get().status == InboundStatus.ERROR


def good_exchange_works(port: int, control_id: str) -> None:
    assert answer(exchange(port, oru(control_id=control_id, observed="20230101")))[0] in (
        "AA",
        "AE",
    )


def test_garbage_does_not_stop_the_listener(clinic, listener):
    with socket.create_connection(("127.0.0.1", listener.port)) as sock:
        sock.sendall(b"\x00\xff garbage \x1c\r")
        code, text = answer(_frame(sock))
        assert code == "AE" and "MLLP" in text
        # Framed garbage is kept, raw, as a message in error.
        code, text = answer(exchange(listener.port, "\x00\x01not hl7 at all", sock=sock))
        assert code == "AE" and "not an HL7 v2 message" in text
    assert answer(exchange(listener.port, oru()))[0] == "AA"
    assert InboundMessage.objects.filter(status=InboundStatus.ERROR).count() == 1


def _frame(sock) -> str:
    from tests.exchange.listening import read_frame

    return read_frame(sock).decode("utf-8")


def test_a_truncated_frame_does_not_stop_the_listener(clinic, listener):
    with socket.create_connection(("127.0.0.1", listener.port)) as sock:
        sock.sendall(START + oru(control_id="CUT").encode()[:60])
    assert answer(exchange(listener.port, oru()))[0] == "AA"
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["MSG-1"]


def test_a_10_mb_message_is_refused_and_others_are_served(clinic, listener):
    huge = oru(control_id="HUGE", extra_obx=[f"OBX|9|TX|||{'x' * (10 * 1024 * 1024)}"])
    with socket.create_connection(("127.0.0.1", listener.port)) as sock:
        sock.sendall(START)
        # The listener may hang up once the message passed its limit.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(huge.encode() + END)
        reply = _frame(sock)
    if reply:
        code, text = answer(reply)
        assert code == "AE" and "larger than" in text
    assert answer(exchange(listener.port, oru()))[0] == "AA"
    assert list(InboundMessage.objects.values_list("control_id", flat=True)) == ["MSG-1"]


def test_a_client_stalling_mid_frame_does_not_hold_up_another(clinic, listener):
    with socket.create_connection(("127.0.0.1", listener.port)) as stalled:
        stalled.sendall(START + oru(control_id="STALL").encode()[:80])
        time.sleep(0.5)
        assert answer(exchange(listener.port, oru()))[0] == "AA"
    assert DexaScan.objects.count() == 1
