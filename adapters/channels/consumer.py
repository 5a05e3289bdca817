"""Channel consumers: a durable JetStream pull consumer per channel feeds the ledger.

A message is acked only once every command it maps to is stored (or was already: the ledger
recognises a resend by channel + external id). A message the ledger refuses goes to the
dead-letter subject with the reason and is then acked, so the stream never blocks; on a
transient failure (database or NATS down) it is nak'ed with a delay and comes back later.
Batches go to the group committer in fetch order and share its commits; the next batch is
fetched and submitted while the previous one is being stored and settled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from adapters.channels.dead_letters import MAX_PAYLOAD
from adapters.channels.intake import Batch, CommandSink, verdict
from adapters.channels.registry import CHANNELS, ChannelAdapter
from adapters.channels.replays import already_stored
from adapters.channels.settling import log_batch, settle
from adapters.nats.streams import Subjects
from adapters.nats.workers import Worker
from adapters.settings import Settings
from domain.commands import Command

if TYPE_CHECKING:
    from adapters.bootstrap import Services

log = logging.getLogger("ledger.ingest")

BATCH = 256
ACK_WAIT_SECONDS = 60.0
RETRY_DELAY_SECONDS = 5.0
FETCH_TIMEOUT_SECONDS = 1.0


@dataclass
class IngestConsumer:
    """Feeds one channel's messages to the ledger; `stored` recognises a replayed appeal action."""

    adapter: ChannelAdapter
    sink: CommandSink
    stored: Callable[[Command], bool]
    subjects: Subjects
    batch: int = BATCH
    retry_delay: float = RETRY_DELAY_SECONDS
    max_payload: int = MAX_PAYLOAD
    """The connection's max payload: a dead letter's body is cut to fit it."""

    @property
    def durable(self) -> str:
        """The consumer's durable name: its position survives restarts."""
        return f"ledger-ingest-{self.adapter.name}"

    def config(self) -> ConsumerConfig:
        """Explicit acks, redelivered until acked (no max deliver), a bounded number in flight."""
        return ConsumerConfig(
            durable_name=self.durable, filter_subject=self.subjects.ingest(self.adapter.name),
            ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
            ack_wait=ACK_WAIT_SECONDS, max_ack_pending=4 * self.batch,
        )

    async def run(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        """Fetch and handle batches until stopped; ride out NATS outages."""
        sub = await js.pull_subscribe(
            self.subjects.ingest(self.adapter.name), durable=self.durable,
            stream=self.subjects.ingest_stream, config=self.config(),
        )
        log.info("ingest started", extra={"channel": self.adapter.name, "durable": self.durable})
        settling: asyncio.Task[None] | None = None
        try:
            while not stop.is_set():
                msgs = await self._fetch(sub, stop)
                if msgs:
                    settling = await self._pipeline(js, Batch.read(self.adapter, msgs), settling)
        finally:  # a pull subscription left open holds the connection's drain for its timeout
            if settling is not None:
                await settling
            await sub.unsubscribe()

    async def _fetch(
        self, sub: JetStreamContext.PullSubscription, stop: asyncio.Event
    ) -> list[Msg]:
        try:
            return await sub.fetch(self.batch, timeout=FETCH_TIMEOUT_SECONDS)
        except TimeoutError:  # nats-py raises its own or asyncio's when nothing came
            return []
        except nats.errors.ConnectionClosedError:
            raise  # closed for good (reconnecting is not closed): the worker ends
        except Exception as error:
            log.warning("ingest fetch failed",
                        extra={"channel": self.adapter.name, "error": repr(error)})
            await _sleep_unless(stop, 1.0)
            return []

    async def _pipeline(
        self, js: JetStreamContext, batch: Batch, previous: asyncio.Task[None] | None
    ) -> asyncio.Task[None]:
        """Submit a batch while the previous one settles, so the committer never waits for a
        fetch; an appeal action reads the log, so the batch before it must be stored first."""
        if previous is not None and batch.guarded:
            await previous
        await self._submit(batch)
        if previous is not None:
            await previous
        return asyncio.create_task(self._settle_batch(js, batch))

    async def _submit(self, batch: Batch) -> None:
        guarded = batch.guarded

        def skip_stored() -> None:
            for delivery in guarded:
                delivery.commands = [c for c in delivery.commands if not self.stored(c)]

        try:
            if guarded:
                await asyncio.to_thread(skip_stored)
        except Exception as error:  # the log could not be read: retry later
            for delivery in batch.unique:
                delivery.failure = error
            return
        now, actor = datetime.now(UTC), f"ingest:{self.adapter.name}"
        for delivery in batch.unique:
            delivery.futures = [self.sink.submit(cmd, actor, now) for cmd in delivery.commands]

    async def _settle_batch(self, js: JetStreamContext, batch: Batch) -> None:
        verdicts = {id(d): await verdict(d) for d in batch.unique}
        outcome = [verdicts[id(original)] for original in batch.originals]
        for delivery, judged in zip(batch.deliveries, outcome, strict=True):
            try:
                await settle(js, self.subjects, self.adapter.name, delivery.msg, judged,
                             self.retry_delay, self.max_payload)
            except Exception as error:  # an ack lost on the way only means a redelivery
                log.warning("ack failed", extra={"channel": self.adapter.name,
                                                 "error": repr(error)})
        log_batch(self.adapter.name, outcome)


def ingest_worker(services: Services, settings: Settings, channel: str) -> Worker:
    """The worker that feeds one channel's subject to the ledger."""
    consumer = IngestConsumer(
        CHANNELS[channel], services.committer, partial(already_stored, services.ledger),
        Subjects.of(settings),
    )

    async def ingest(client: Client, js: JetStreamContext, stop: asyncio.Event) -> None:
        await replace(consumer, max_payload=client.max_payload).run(js, stop)

    ingest.__qualname__ = f"ingest:{channel}"  # names the worker in the log
    return ingest


def ingest_workers(
    services: Services, settings: Settings, channels: Iterable[str] | None = None
) -> list[Worker]:
    """One worker per channel (all of them unless named)."""
    return [ingest_worker(services, settings, name) for name in channels or CHANNELS]


async def _sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
