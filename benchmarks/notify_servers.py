"""Stand-ins for the gateways' far ends, in a process of their own (so they do not share the
benchmark's interpreter): an SMTP server (aiosmtpd) that accepts every message, and an SMS
provider (a small asyncio HTTP/1.1 server with keep-alive) that answers every POST with an id.

    python -m benchmarks.notify_servers SMTP_PORT SMS_PORT
"""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.embedded import free_port

_LENGTH = re.compile(rb"(?i)content-length:\s*(\d+)")


class AcceptingMailbox:
    """Accepts every message."""

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        return "250 OK"


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    served = 0
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            found = _LENGTH.search(head)
            await reader.readexactly(int(found.group(1)) if found else 0)
            served += 1
            body = b'{"id": "sms-%d-%d"}' % (id(writer), served)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


async def _serve(smtp_port: int, sms_port: int) -> None:
    controller = Controller(AcceptingMailbox(), hostname="127.0.0.1", port=smtp_port)
    controller.start()
    server = await asyncio.start_server(_answer, "127.0.0.1", sms_port, backlog=1024)
    async with server:
        await server.serve_forever()


@contextmanager
def far_ends() -> Iterator[tuple[int, int]]:
    """Both servers in a child process: their SMTP and SMS ports."""
    smtp_port, sms_port = free_port(), free_port()
    child = subprocess.Popen([sys.executable, "-m", "benchmarks.notify_servers",
                              str(smtp_port), str(sms_port)])
    try:
        for port in (smtp_port, sms_port):
            _wait_for(port)
        yield smtp_port, sms_port
    finally:
        child.terminate()
        child.wait(timeout=10)


def _wait_for(port: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"port {port} did not open")


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), int(sys.argv[2])))
