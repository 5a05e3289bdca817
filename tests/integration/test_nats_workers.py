"""The NATS side of a process stops when asked even while its server is unreachable."""

from __future__ import annotations

import threading
import time

import pytest

from adapters.nats.workers import start_workers_thread
from adapters.settings import load_settings

pytestmark = pytest.mark.integration


def test_workers_waiting_for_an_unreachable_server_stop_at_once() -> None:
    stop = threading.Event()
    ran: list[str] = []

    async def worker(*_: object) -> None:
        ran.append("worker")  # never: there is no server to work with

    thread = start_workers_thread("nats://127.0.0.1:1", load_settings(), [worker], stop)
    time.sleep(1.0)  # a few connection attempts, all refused
    started = time.monotonic()
    stop.set()
    thread.join(timeout=5)

    assert not thread.is_alive() and time.monotonic() - started < 1.0
    assert ran == []
