"""The NATS side of a process stops when asked even while its server is unreachable."""

from __future__ import annotations

import threading
import time

import pytest

from adapters.nats.workers import start_workers_thread
from adapters.settings import load_settings

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("waited", [0.05, 0.3, 0.55, 0.8, 1.0])
def test_workers_waiting_for_an_unreachable_server_stop_at_once(waited: float) -> None:
    """Stopped at various points of the client's retry cycle (connect, refused, wait 0.5 s):
    a cancellation the client swallowed left the thread retrying forever."""
    stop = threading.Event()
    ran: list[str] = []

    async def worker(*_: object) -> None:
        ran.append("worker")  # never: there is no server to work with

    thread = start_workers_thread("nats://127.0.0.1:1", load_settings(), [worker], stop)
    time.sleep(waited)  # connection attempts, all refused
    started = time.monotonic()
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive()
    assert time.monotonic() - started < 2.5  # not a whole connect timeout (5 s)
    assert ran == []
