"""Publishes every stored event to JetStream in log order; the position is recorded after acks.

A crash between a publish and the position record republishes the same events with the same
`Nats-Msg-Id`, which JetStream drops as duplicates within its duplicate window.

Order survives a dropped connection. nats-py keeps what was published while disconnected (and
what was not yet flushed when the connection dropped) and sends it after reconnecting, while
what went into the dying socket is lost: a later event could land before an earlier one. So
every message but the first of a batch carries `Nats-Expected-Last-Msg-Id` = the id of the event
before it, and JetStream stores an event only right after its predecessor (a duplicate is
recognised before that check). The first of a batch needs no guard: its predecessor is at the
recorded position, acknowledged already. Nothing is published while disconnected, a batch whose
connection dropped stops waiting for acks that may never come, and the position is recorded up
to the last event of the acknowledged prefix, so the next batch starts where JetStream stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck
from psycopg import Connection
from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.nats.messages import encode, event_message
from adapters.nats.streams import Subjects
from adapters.projector import lock_position
from projections.base import LoggedEvent

log = logging.getLogger("ledger.publisher")

NAME = "nats_publisher"
ACK_TIMEOUT = 10.0
MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
_POLL = 0.05
_RETRY_PAUSE = 0.2
_MAX_PAUSE = 5.0


@dataclass(frozen=True)
class Outgoing:
    """One event ready to send: its log position, subject, JSON body and headers."""

    position: int
    subject: str
    body: bytes
    headers: dict[str, str]


def outgoing(subjects: Subjects, batch: list[LoggedEvent]) -> list[Outgoing]:
    """The messages of a batch in log order; each but the first names its predecessor."""
    messages: list[Outgoing] = []
    previous: str | None = None
    for logged in batch:
        message = event_message(logged)
        msg_id = str(message.id)
        headers = {MSG_ID: msg_id}
        if previous is not None:
            headers[EXPECTED_LAST_MSG_ID] = previous
        subject = subjects.event(str(message.stream_id), message.type)
        messages.append(Outgoing(logged.position, subject, encode(message), headers))
        previous = msg_id
    return messages


class NatsEventPublisher:
    """Follows the log from its recorded position and publishes each event once, in order."""

    def __init__(
        self, pool: ConnectionPool, follower: LogFollower, js: JetStreamContext,
        subjects: Subjects, batch: int = 1000, client: Client | None = None,
    ) -> None:
        self.pool, self.follower, self.js = pool, follower, js
        self.subjects, self.batch = subjects, batch
        self.client: Client = client if client is not None else js._nc
        self._loop: asyncio.AbstractEventLoop | None = None

    async def step(self) -> int:
        """Publish the next batch and record the position; returns how many were acknowledged.

        Raises when JetStream refused an event or not every ack came (connection lost, timeout);
        the acknowledged prefix is recorded before that.
        """
        self._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._step_locked)

    def _step_locked(self) -> int:
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)
            batch = outgoing(self.subjects, self.follower.read(position, self.batch))
            if not batch:
                return 0
            assert self._loop is not None, "step() runs inside run()"
            sending = asyncio.run_coroutine_threadsafe(self._publish(batch), self._loop)
            acked, error = sending.result()
            if acked:
                self._record(conn, batch[acked - 1].position)
        if error is not None:
            raise error
        return acked

    def _record(self, conn: Connection[Any], position: int) -> None:
        conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                     (position, NAME))

    async def _publish(self, batch: list[Outgoing]) -> tuple[int, Exception | None]:
        """Send while connected; how many leading events were acknowledged, and why not more."""
        reconnects = self.client.stats["reconnects"]
        acks: list[asyncio.Future[PubAck]] = []
        error: Exception | None = None
        try:
            for message in batch:
                if not self._connected(reconnects):
                    error = ConnectionError("not connected to NATS")
                    break
                acks.append(await self.js.publish_async(
                    message.subject, message.body, headers=message.headers))
        except Exception as failed:  # the connection closed, the reconnect buffer is full...
            error = failed
        acked, refused = await self._acknowledged(acks, reconnects)
        return acked, refused or error

    async def _acknowledged(
        self, acks: list[asyncio.Future[PubAck]], reconnects: int
    ) -> tuple[int, Exception | None]:
        """Wait for the acks until one fails, the connection drops or the time is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ACK_TIMEOUT
        pending = {ack for ack in acks if not ack.done()}
        while pending:
            done, pending = await asyncio.wait(
                pending, timeout=_POLL, return_when=asyncio.FIRST_EXCEPTION)
            if any(not ack.cancelled() and ack.exception() is not None for ack in done):
                break
            if not self._connected(reconnects) or loop.time() > deadline:
                break
        for ack in pending:  # never answered: release publish_async's pending slots
            ack.cancel()
        for index, ack in enumerate(acks):
            if ack.cancelled():
                if self._connected(reconnects):
                    return index, TimeoutError(f"no ack within {ACK_TIMEOUT:g} s")
                return index, ConnectionError("connection to NATS lost before the ack")
            failed = ack.exception()
            if failed is not None:
                return index, failed if isinstance(failed, Exception) else RuntimeError(failed)
        return len(acks), None

    def _connected(self, reconnects: int) -> bool:
        """Connected, on the same connection as when the batch began."""
        return self.client.is_connected and self.client.stats["reconnects"] == reconnects

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until stopped; while NATS or PostgreSQL is down, wait and retry from the
        recorded position (never give up: a dead publisher would silently stop the stream)."""
        pause, listening = _RETRY_PAUSE, False
        while not stop.is_set():
            if not self.client.is_connected:
                await _sleep_unless(stop, _POLL)
                continue
            try:
                if not listening:  # LISTEN before the first read, so no append goes unnoticed
                    await asyncio.to_thread(self.follower.wait_for_new, 0.0)
                    listening = True
                while await self.step() == self.batch:
                    pass  # a full batch: more is waiting; else the next NOTIFY says so
                pause = _RETRY_PAUSE
                await asyncio.to_thread(self.follower.wait_for_new, 1.0)
            except Exception as error:
                log.warning("publish failed; retrying from the recorded position",
                            extra={"error": repr(error), "retry_in": pause})
                await _sleep_unless(stop, pause)
                pause = min(pause * 2, _MAX_PAUSE)


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
