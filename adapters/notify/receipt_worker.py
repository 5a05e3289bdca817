"""The receipts consumer: a durable JetStream pull consumer of `<prefix>.receipts.>`.

A receipt is acked once stored (or once the ledger says it changes nothing). One that can
never be stored (not JSON, wrong shape, unknown gateway) goes to `<prefix>.dlq.receipts` with
the reason. One whose notification is not known yet, or not yet recorded as sent (the receipt
overtook the dispatcher), comes back after a delay, up to MAX_DELIVERIES times.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from psycopg_pool import ConnectionPool

from adapters.channels.dead_letters import Rejection, dead_letter, rejection_of
from adapters.group_commit import GroupCommitter
from adapters.nats.streams import Subjects
from adapters.notify.nats_out import NotifySubjects
from adapters.notify.receipts import decode_receipt, record_receipt
from domain.errors import LedgerError, NotFoundError, ValidationError
from domain.notifications import NotificationTransitionError

log = logging.getLogger("ledger.receipts")

ACTOR = "receipts"
DURABLE = "ledger-receipts"
MAX_DELIVERIES = 10
RETRY_DELAY_SECONDS = 2.0


class ReceiptConsumer:
    """Feeds gateway receipts to the ledger."""

    def __init__(self, pool: ConnectionPool, committer: GroupCommitter, subjects: Subjects,
                 retry_delay: float = RETRY_DELAY_SECONDS) -> None:
        self.pool, self.committer, self.subjects = pool, committer, subjects
        self.notify = NotifySubjects(subjects)
        self.retry_delay = retry_delay
        self.stored = 0

    async def run(self, js: JetStreamContext, stop: asyncio.Event) -> None:
        """Fetch and handle receipts until stopped."""
        config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.ALL, ack_wait=60.0,
                                filter_subject=self.notify.receipts(">"))
        sub = await js.pull_subscribe(self.notify.receipts(">"), durable=DURABLE,
                                      stream=self.notify.stream, config=config)
        try:
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(64, timeout=1.0)
                except TimeoutError:  # nothing waiting (nats-py raises asyncio's own)
                    continue
                for msg in msgs:
                    await self.handle(js, msg)
        finally:
            with contextlib.suppress(Exception):
                await sub.unsubscribe()

    async def handle(self, js: JetStreamContext, msg: Msg) -> None:
        """Store one receipt, retry it later, or dead-letter it with the reason."""
        gateway = msg.subject.rsplit(".", 1)[-1]
        try:
            receipt = decode_receipt(msg.data)
            await asyncio.to_thread(record_receipt, self.pool, self.committer, gateway,
                                    receipt, ACTOR)
        except (NotFoundError, NotificationTransitionError) as error:
            await self._later_or_never(js, msg, error)
            return
        except ValidationError as error:
            await self._never(js, msg, Rejection(error.code, error.message, error.field))
            return
        except LedgerError as error:
            await self._never(js, msg, rejection_of(error) or Rejection(error.code, str(error)))
            return
        except Exception as error:  # the database is down: the receipt comes back later
            log.warning("receipt not stored; retrying", extra={"error": repr(error)})
            await msg.nak(delay=self.retry_delay)
            return
        self.stored += 1
        await msg.ack()

    async def _later_or_never(self, js: JetStreamContext, msg: Msg, error: LedgerError) -> None:
        if msg.metadata.num_delivered < MAX_DELIVERIES:
            await msg.nak(delay=self.retry_delay)
        else:
            await self._never(js, msg, Rejection(error.code, str(error)))

    async def _never(self, js: JetStreamContext, msg: Msg, rejection: Rejection) -> None:
        log.warning("receipt dead-lettered", extra={"reason": rejection.reason})
        await dead_letter(js, self.subjects, "receipts", msg, rejection)
        await msg.ack()
