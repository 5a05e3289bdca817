"""Read-your-writes without polling: a request waits for the position a projector announces."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from adapters.positions import Positions

pytestmark = pytest.mark.unit


def announce_later(positions: Positions, name: str, position: int, delay: float) -> None:
    """A projector thread announcing a committed position after `delay` seconds."""
    threading.Timer(delay, positions.reached, (name, position)).start()


def test_a_position_already_reached_answers_at_once() -> None:
    positions = Positions()
    positions.reached("timeline", 7)

    assert asyncio.run(positions.wait("timeline", 7, timeout=0.0))
    assert positions.follows("timeline") and not positions.follows("appeal_status")


def test_a_waiter_is_woken_by_the_projector_thread_not_by_its_timeout() -> None:
    positions = Positions()
    positions.reached("timeline", 1)
    announce_later(positions, "timeline", 5, 0.05)

    started = time.monotonic()
    reached = asyncio.run(positions.wait("timeline", 4, timeout=5.0))

    assert reached and time.monotonic() - started < 2.0


def test_a_position_short_of_the_one_written_keeps_the_request_waiting() -> None:
    positions = Positions()
    announce_later(positions, "timeline", 3, 0.01)

    reached = asyncio.run(positions.wait("timeline", 4, timeout=0.2))

    assert not reached


def test_after_a_reset_requests_wait_for_the_rebuilt_read_model() -> None:
    positions = Positions()
    positions.reached("timeline", 9)

    positions.reached("timeline", 3)  # `ledger projections rebuild` emptied it elsewhere

    assert not asyncio.run(positions.wait("timeline", 9, timeout=0.01))


def test_a_timed_out_waiter_is_forgotten() -> None:
    positions = Positions()
    positions.reached("timeline", 9)

    reached = asyncio.run(positions.wait("timeline", 12, timeout=0.01))

    assert not reached and positions._waiters["timeline"] == []
