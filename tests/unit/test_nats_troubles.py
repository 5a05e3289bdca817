"""A NATS server that stays down is logged once every half minute, not twice a second."""

from __future__ import annotations

import asyncio
import logging

import pytest

from adapters.nats.streams import Troubles


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[str, object]]:
    return [(r.getMessage(), vars(r).get("times", vars(r).get("unlogged_troubles")))
            for r in caplog.records]


def test_troubles_are_logged_once_a_period_with_their_count(
    caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    troubles = Troubles(every=30.0, clock=clock)

    async def down_for(seconds: float) -> None:
        for _ in range(int(seconds * 2)):  # the client retries every half second
            await troubles.error(ConnectionRefusedError("Connect call failed"))
            clock.now += 0.5

    with caplog.at_level(logging.INFO, logger="ledger.nats"):
        asyncio.run(down_for(61))

    assert lines(caplog) == [("nats connection trouble", 1), ("nats connection trouble", 60),
                             ("nats connection trouble", 60)]


def test_after_a_reconnection_the_next_trouble_is_logged_at_once(
    caplog: pytest.LogCaptureFixture
) -> None:
    clock = Clock()
    troubles = Troubles(every=30.0, clock=clock)

    async def flap() -> None:
        await troubles.error(ConnectionResetError("unexpected EOF"))
        clock.now += 1
        await troubles.error(ConnectionResetError("unexpected EOF"))
        await troubles.reconnected()
        clock.now += 1
        await troubles.error(ConnectionResetError("unexpected EOF"))

    with caplog.at_level(logging.INFO, logger="ledger.nats"):
        asyncio.run(flap())

    assert lines(caplog) == [("nats connection trouble", 1), ("nats reconnected", 1),
                             ("nats connection trouble", 1)]
