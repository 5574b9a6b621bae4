"""`manage.py hl7_listen` as a real process on the test database, and MLLP over real TCP."""

import socket
import subprocess
import sys
import time

from tests.tasks import ROOT, wait_for, worker_env

START, END = b"\x0b", b"\x1c\r"


def free_port(first: int = 2600, last: int = 2699) -> int:
    for port in range(first, last + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"No free port between {first} and {last}.")


def start_listener(log_path, **env):
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 - closed by stop_listener
    process = subprocess.Popen(
        [sys.executable, "manage.py", "hl7_listen", "--port", str(port)],
        cwd=ROOT,
        env=worker_env(**env),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    process.port, process.log, process.log_path = port, log, log_path
    wait_for(
        lambda: "Listening for HL7" in log_path.read_text() or process.poll() is not None,
        timeout=60,
    )
    assert process.poll() is None, log_path.read_text()
    return process


def stop_listener(process) -> None:
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=30)
    process.log.close()


def read_frame(sock, timeout: float = 30) -> bytes:
    """One MLLP frame's content, or b"" when the listener closed the connection first."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.monotonic() + timeout
    while not data.endswith(END):
        assert time.monotonic() < deadline, f"no whole answer: {data[:200]!r}"
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        data += chunk
    assert data.startswith(START), data[:200]
    return data[1:-2]


def exchange(port: int, message: str, *, sock=None) -> str:
    """Send one message framed as MLLP and return the ACK the listener answered."""
    own = sock is None
    sock = sock or socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        sock.sendall(START + message.encode("utf-8") + END)
        return read_frame(sock).decode("utf-8")
    finally:
        if own:
            sock.close()
