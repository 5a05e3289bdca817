"""Publishes every stored event to JetStream in log order; the position is recorded after acks.

A crash between a publish and the position record republishes the same events with the same
`Nats-Msg-Id`, which JetStream drops as duplicates within its duplicate window.
"""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.nats.messages import encode, event_id, event_message
from adapters.nats.streams import Subjects
from adapters.projector import lock_position
from projections.base import LoggedEvent

log = logging.getLogger("ledger.publisher")

NAME = "nats_publisher"
ACK_TIMEOUT = 10.0


class NatsEventPublisher:
    """Follows the log from its recorded position and publishes each event once."""

    def __init__(
        self, pool: ConnectionPool, follower: LogFollower, js: JetStreamContext,
        subjects: Subjects, batch: int = 1000,
    ) -> None:
        self.pool, self.follower, self.js = pool, follower, js
        self.subjects, self.batch = subjects, batch
        self._loop: asyncio.AbstractEventLoop | None = None

    async def step(self) -> int:
        """Publish the next batch and record the position; returns how many were published."""
        self._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._step_locked)

    def _step_locked(self) -> int:
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)
            batch = self.follower.read(position, self.batch)
            if batch:
                assert self._loop is not None, "step() runs inside run()"
                asyncio.run_coroutine_threadsafe(self._publish(batch), self._loop).result()
                conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                             (batch[-1].position, NAME))
        return len(batch)

    async def _publish(self, batch: list[LoggedEvent]) -> None:
        acks = [
            await self.js.publish_async(
                self.subjects.event(str(logged.event.originator_id), logged.type),
                encode(event_message(logged)),
                headers={"Nats-Msg-Id": str(event_id(logged))},
            )
            for logged in batch
        ]
        await asyncio.wait_for(asyncio.gather(*acks), ACK_TIMEOUT)

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until stopped; while NATS is down, wait and retry from the same position."""
        while not stop.is_set():
            try:
                while await self.step():
                    pass
            except Exception as error:
                log.warning("publish failed; retrying", extra={"error": repr(error)})
                await _sleep_unless(stop, 1.0)
                continue
            await asyncio.to_thread(self.follower.wait_for_new, 1.0)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
