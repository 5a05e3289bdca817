"""The dispatcher: sends requested notifications through their gateways and records the outcome.

Each round leases a batch (adapters/notify/dispatch_store.py), sends it concurrently, notes
what the gateways took, then records `sent` or `failed` in the ledger. A gateway that is down
leaves its notifications requested, to be tried again with back-off: delayed, never dropped.
A campaign's notifications go out only inside its window and the allowed hours.

A send is never abandoned by a timeout of ours: the gateway may have taken the message, and a
retry would send it again. Each gateway bounds its own network operations (the socket's
timeout in smtplib, httpx's, the JetStream publish's), so a slow or silent server makes the
send itself fail, and the dispatcher waits for that before deciding sent or retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from psycopg_pool import ConnectionPool

from adapters.group_commit import GroupCommitter
from adapters.notify import dispatch_store as store
from adapters.notify.gateways import Gateway, GatewayDownError, GatewayRefusedError, Outgoing
from adapters.pg_retry import log_failed_round
from domain.calendar import BusinessCalendar
from domain.campaign_commands import AllowedHours
from domain.commands import Command
from domain.errors import ConflictError, LedgerError
from domain.ledger import Outcome
from domain.notification_commands import (
    RecordNotificationNotSent,
    RecordNotificationRefused,
    RecordNotificationSent,
)
from domain.notification_values import NotificationChannel
from domain.values import ERASED

log = logging.getLogger("ledger.dispatcher")

ACTOR = "notify-dispatcher"
LEASE_SECONDS = 120.0
SLOW_FACTOR = 3
"""A send still running after this many gateway timeouts is logged (and still awaited)."""


class WithheldError(Exception):
    """The notification must not go out at all (its address was erased): record not sent."""


def utc_now() -> datetime:
    """The wall clock (tests pass their own)."""
    return datetime.now(UTC)


@dataclass
class Retry:
    """How long to wait after a gateway was down: base, doubled each try, up to a ceiling."""

    base: float = 2.0
    ceiling: float = 300.0


@dataclass
class Dispatcher:
    """Sends what is due through `gateways` (one per channel) in batches of `batch`."""

    pool: ConnectionPool
    committer: GroupCommitter
    gateways: Mapping[NotificationChannel, Gateway]
    calendar: BusinessCalendar
    hours: AllowedHours
    retry: Retry
    batch: int = 200
    timeout: float = 10.0
    """The gateways' bound on each network operation; a send taking several times this is
    logged as slow but still awaited (see the module's docstring)."""
    now: Callable[[], datetime] = utc_now
    recorded: int = 0
    """Outcomes (sent or failed) this dispatcher stored in the ledger."""

    async def run(self, stop: asyncio.Event, poll: float = 0.5) -> None:
        """Send until stopped; a failed round is logged and the next one tries again."""
        while not stop.is_set():
            try:
                handled = await self.step()
            except Exception:
                log_failed_round(log, "dispatch round failed; retrying")
                handled = 0
            if handled < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), poll)

    async def step(self) -> int:
        """One round: lease, send, record; how many notifications it handled."""
        now = self.now()
        campaigns_open = self.hours.allow(self.calendar.local(now))
        claimed = await asyncio.to_thread(self._claim, now, campaigns_open)
        if not claimed:
            return 0
        outcomes = await self._holding_leases(
            claimed, asyncio.gather(*(self._send(c) for c in claimed)))
        await asyncio.to_thread(self._note, claimed, outcomes)
        await self._record(claimed, outcomes, now)
        return len(claimed)

    async def _holding_leases(self, claimed: list[store.Claimed],
                              sending: asyncio.Future[list[str | Exception]]) -> (
            list[str | Exception]):
        """The sends' outcomes; their leases are renewed while a slow gateway keeps them
        waiting, so no other dispatcher claims (and sends) them meanwhile."""
        ids = [c.message.notification_id for c in claimed]
        while True:
            done, _ = await asyncio.wait({sending}, timeout=LEASE_SECONDS / 3)
            if done:
                return sending.result()
            try:
                await asyncio.to_thread(self._extend, ids)
            except Exception as error:  # the sends go on; the next renewal tries again
                log.warning("leases not renewed", extra={"error": repr(error)})

    def _extend(self, ids: list[UUID]) -> None:
        with self.pool.connection() as conn:
            store.extend(conn, ids, LEASE_SECONDS)

    def _claim(self, now: datetime, campaigns_open: bool) -> list[store.Claimed]:
        with self.pool.connection() as conn:
            return store.claim(conn, now, campaigns_open, self.batch, LEASE_SECONDS)

    async def _send(self, claimed: store.Claimed) -> str | Exception:
        """The gateway's id, or why not (GatewayDownError: later; GatewayRefusedError: never)."""
        if claimed.accepted_as is not None:  # taken before a crash: record it, do not resend
            return claimed.accepted_as
        if claimed.message.recipient == ERASED:  # erased before the read model caught up
            return WithheldError("personal data erased")
        gateway = self.gateways.get(claimed.message.channel)
        if gateway is None:
            return GatewayDownError(f"no gateway for {claimed.message.channel}")
        try:
            return await self._awaited(gateway, claimed.message)
        except (GatewayDownError, GatewayRefusedError) as error:
            return error
        except Exception as error:  # a gateway's bug must not lose the notification
            log.exception("gateway failed", extra={"channel": claimed.message.channel})
            return GatewayDownError(repr(error))

    async def _awaited(self, gateway: Gateway, message: Outgoing) -> str:
        """The gateway's answer, however long it takes: cutting the wait short would not stop
        a send the server may still accept (it would be sent again on the retry)."""
        sending = asyncio.ensure_future(gateway.send(message))
        done, _ = await asyncio.wait({sending}, timeout=self.timeout * SLOW_FACTOR)
        if not done:
            log.warning("gateway slow; still waiting", extra={
                "channel": message.channel, "notification": str(message.notification_id)})
        return await sending

    def _note(self, claimed: list[store.Claimed], outcomes: list[str | Exception]) -> None:
        taken = [(c.message.notification_id, o) for c, o in zip(claimed, outcomes, strict=True)
                 if isinstance(o, str) and c.accepted_as is None]
        down = [(c.message.notification_id, str(o))
                for c, o in zip(claimed, outcomes, strict=True) if isinstance(o, GatewayDownError)]
        with self.pool.connection() as conn, conn.transaction():
            store.accepted(conn, taken)
            store.retry_later(conn, down, self.retry.base, self.retry.ceiling)
        for notification_id, error in down:
            log.warning("gateway down; will retry", extra={
                "notification": str(notification_id), "error": error})

    async def _record(self, claimed: list[store.Claimed], outcomes: list[str | Exception],
                      now: datetime) -> None:
        """Tell the ledger; an outcome it could not store is recorded on a later claim."""
        waiting = [(c.message.notification_id, self.committer.submit(command, ACTOR, now))
                   for c, o in zip(claimed, outcomes, strict=True)
                   if (command := _outcome(c.message, o, now)) is not None]
        settled = [i for i, future in waiting if await self._stored(future)]
        if settled:
            await asyncio.to_thread(self._settled, settled)

    async def _stored(self, future: Future[Outcome]) -> bool:
        """Whether the ledger now holds the outcome (or refuses it for good)."""
        try:
            done = await asyncio.wrap_future(future)
        except ConflictError:
            return False  # the account kept changing: the next claim records it
        except LedgerError as error:  # e.g. the campaign was cancelled meanwhile
            log.warning("outcome refused by the ledger", extra={"reason": str(error)})
            return True
        self.recorded += not done.duplicate
        return True

    def _settled(self, ids: list[UUID]) -> None:
        with self.pool.connection() as conn:
            store.recorded(conn, ids)


def _outcome(message: Outgoing, outcome: str | Exception, now: datetime) -> Command | None:
    """What the ledger is told: sent (the gateway's id), failed (its refusal), or nothing yet."""
    if isinstance(outcome, str):
        return RecordNotificationSent(account_number=message.account_number,
                                      notification_id=message.notification_id,
                                      gateway_message_id=outcome, at=now)
    if isinstance(outcome, GatewayRefusedError):
        return RecordNotificationRefused(account_number=message.account_number,
                                         notification_id=message.notification_id,
                                         reason=str(outcome) or "refused by the gateway", at=now)
    if isinstance(outcome, WithheldError):
        return RecordNotificationNotSent(account_number=message.account_number,
                                         notification_id=message.notification_id,
                                         reason=str(outcome), at=now)
    return None
