"""The notifier: follows the log and asks, once per trigger, for what the rules owe the client.

It records how far it has read only after the requests are stored; after a crash it reads the
same events again and the accounts refuse the repeats (the notification id follows from the
trigger), so a trigger is answered once across restarts and beside other notifiers. A new
deployment starts at the log's head: history already in the log is not notified again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.pg_retry import log_failed_round
from adapters.projector import lock_position
from domain.errors import LedgerError
from domain.ledger import Ledger, Request
from domain.notification_commands import RequestNotification
from domain.notification_rules import RuleBook, owed
from projections.base import LoggedEvent

log = logging.getLogger("ledger.notifier")

NAME = "notifier"
ACTOR = "notifier"
BATCH = 500


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Notifier:
    """Applies the rules of domain/notification_rules.py to every new event of the log."""

    def __init__(self, pool: ConnectionPool, ledger: Ledger, follower: LogFollower,
                 book: RuleBook, now: Callable[[], datetime] = _utc_now) -> None:
        self.pool, self.ledger, self.follower, self.book, self.now = (
            pool, ledger, follower, book, now)
        self.requested = 0
        """Notifications this notifier stored (repeats refused by the accounts not counted)."""

    def start_at_head(self) -> None:
        """On the first start, begin at the log's head (a no-op once a position is kept)."""
        with self.pool.connection() as conn:
            conn.execute("INSERT INTO projection_positions (name, position) VALUES (%s, %s)"
                         " ON CONFLICT DO NOTHING", (NAME, self.follower.head()))

    def run(self, stop: threading.Event) -> None:
        """Follow the log until stopped; a failed batch is read again, never skipped."""
        self.start_at_head()
        while not stop.is_set():
            try:
                while self.step():
                    pass
                self.follower.wait_for_new(timeout=1.0)
            except Exception:
                log_failed_round(log, "notifier failed; retrying")
                stop.wait(1.0)

    def step(self) -> int:
        """Request what the next batch of events owes; how many events it read."""
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)  # one notifier at a time reads a batch
            batch = self.follower.read(position, BATCH)
            if not batch:
                return 0
            self._request(batch)
            conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                         (batch[-1].position, NAME))
        return len(batch)

    def _request(self, batch: list[LoggedEvent]) -> None:
        now = self.now()
        requests = [Request(command, ACTOR, now) for logged in batch
                    for command in self._owed(logged, now)]
        if not requests:
            return
        for result in self.ledger.execute_batch(requests):
            if isinstance(result, LedgerError):
                log.warning("notification refused", extra={"reason": str(result)})
            else:
                self.requested += not result.duplicate

    def _owed(self, logged: LoggedEvent, now: datetime) -> list[RequestNotification]:
        if not logged.account_number:
            return []
        try:
            return owed(self.book, logged.type, logged.event, logged.account_number, now)
        except LedgerError as error:  # e.g. a template the operator's file lacks
            log.error("notification rule failed", extra={
                "event": logged.type, "position": logged.position, "reason": str(error)})
            return []
