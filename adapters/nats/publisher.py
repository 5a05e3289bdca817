"""Publishes every stored event to JetStream in log order; the position is recorded after the ack.

Each batch is sent as a chain that one ack answers for (adapters/nats/sending.py). A crash
between the ack and the position record, or a batch cut by a dropped connection, leaves events
on the stream beyond the recorded position: before it sends again after a failure (or at start)
the publisher asks the stream for its last message and records the position up to it, so those
events are not sent twice even after the duplicate window; whatever still comes twice (nats-py
flushes what it buffered while reconnecting) carries the same `Nats-Msg-Id` and JetStream drops it.
Nothing is published while disconnected. Another publisher (a second `ledger serve`) may have
sent a batch and died before recording it, longer ago than the duplicate window: so the stream
is also asked whenever this publisher's own last record is older than `recheck_seconds` (half
the window at most), since only then could another have held the position meanwhile.

While the last ack of a full batch is awaited, the next batch is read and encoded in the worker
thread; it is used only if the position then recorded is where it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.js import JetStreamContext
from psycopg import Connection
from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.nats.sending import Outgoing, outgoing, send, stored_prefix
from adapters.nats.stored_pages import MessageFollower
from adapters.nats.streams import Subjects
from adapters.projector import lock_position

log = logging.getLogger("ledger.publisher")

NAME = "nats_publisher"
RECHECK_SECONDS = 1.0
_POLL = 0.05
_RETRY_PAUSE = 0.2
_MAX_PAUSE = 5.0
T = TypeVar("T")


class NatsEventPublisher:
    """Follows the log from its recorded position and publishes each event once, in order."""

    def __init__(
        self, pool: ConnectionPool, follower: LogFollower, js: JetStreamContext,
        subjects: Subjects, batch: int = 1000, client: Client | None = None,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        self.pool, self.follower, self.js = pool, follower, js
        self.subjects, self.batch = subjects, batch
        self.client: Client = client if client is not None else js._nc
        self.recheck_seconds = recheck_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._unsure = True  # the stream may hold events past the recorded position
        self._sure_at = 0.0  # when this publisher last recorded what the stream holds
        self._next: tuple[int, list[Outgoing]] | None = None

    async def step(self) -> int:
        """Publish the next batch and record the position; returns the batch's size.

        Raises when the batch was not acknowledged (connection lost, timeout, refused), after
        recording the part the stream was found to hold."""
        self._loop = asyncio.get_running_loop()
        return await asyncio.to_thread(self._step_locked)

    def _step_locked(self) -> int:
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)
            if time.monotonic() - self._sure_at > self.recheck_seconds:
                self._unsure = True  # another publisher may have held the position since
            batch = self._prefetched(position) or self._read(position)
            if not batch:
                return 0
            error = self._publish(conn, batch)
        if error is not None:
            raise error
        self._unsure, self._sure_at = False, time.monotonic()
        return len(batch)

    def _publish(self, conn: Connection[Any], batch: list[Outgoing]) -> Exception | None:
        """Send what the stream does not hold yet; record the position as far as it is known
        to hold the batch; the error that stopped the send, if any."""
        done = self._held(batch)
        self._unsure = True  # until the position is committed
        error: Exception | None = None
        try:
            self._send(batch, done)
            done = len(batch)
        except Exception as failed:
            error, self._next = failed, None
        if done:
            self._record(conn, batch[done - 1].position)
        return error

    def _held(self, batch: list[Outgoing]) -> int:
        """How much of the batch the stream holds; asked at start, after a failure and after
        a pause (see the module's docstring) only."""
        if not self._unsure:
            return 0
        return self._on_loop(stored_prefix(self.js, self.subjects.stream, batch))

    def _send(self, batch: list[Outgoing], start: int) -> None:
        """Send batch[start:]; while its ack comes, read and encode what follows a full batch."""
        if start == len(batch):
            return
        sending = asyncio.run_coroutine_threadsafe(
            send(self.client, self.js, batch[start:]), self._running_loop())
        if len(batch) == self.batch:
            self._next = (batch[-1].position, self._read(batch[-1].position))
        sending.result()

    def _read(self, position: int) -> list[Outgoing]:
        if isinstance(self.follower, MessageFollower):  # stored JSON reused: stored_pages.py
            return self.follower.messages(self.subjects, position, self.batch)
        return outgoing(self.subjects, self.follower.read(position, self.batch))

    def _prefetched(self, position: int) -> list[Outgoing]:
        ready, self._next = self._next, None
        return ready[1] if ready is not None and ready[0] == position else []

    def _on_loop(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._running_loop()).result()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "step() runs on the publisher's event loop"
        return self._loop

    def _record(self, conn: Connection[Any], position: int) -> None:
        conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                     (position, NAME))

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
