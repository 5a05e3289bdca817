"""The SLA clock: appends each warning and breach to its account's stream once its moment passes.

The timers read model only says which timers to look at; whether a mark is recorded is the
account's decision, from its own history, so two clocks (or a restart) never record one twice:
the loser of a race reloads the account, sees the mark and does nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from adapters.pg_retry import log_failed_round
from adapters.projector import wait_for
from domain.calendar import BusinessCalendar
from domain.commands import MarkSlaAtRisk, MarkSlaBreached, SlaMark
from domain.errors import LedgerError
from domain.ledger import Outcome
from projections.sla_timer_queries import TimerView, read_marks_due

if TYPE_CHECKING:
    from adapters.bootstrap import Services

log = logging.getLogger("ledger.clock")

ACTOR = "sla-clock"
READ_MODEL = "sla_timers"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SlaClock:
    """Scans for owed marks every `interval` seconds; a clock that was down catches up."""

    def __init__(
        self, services: Services, interval: float = 10.0, batch: int = 500,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.services = services
        self.interval = interval
        self.batch = batch
        self.now = now
        self.recorded = 0
        """Marks this clock stored."""
        self.repeats = 0
        """Marks this clock asked for that were already stored (by another clock, or before)."""

    def run(self, stop: threading.Event) -> None:
        """Scan until stopped; a failed scan is logged and tried again at the next tick."""
        log.info("SLA clock started", extra={"interval": self.interval})
        while not stop.is_set():
            try:
                self.scan()
            except Exception:
                log_failed_round(log, "SLA clock scan failed; retrying")
            stop.wait(self.interval)

    def scan(self) -> int:
        """Record every mark owed by now; returns how many this clock recorded."""
        now = self.now()
        self._wait_for_timers()
        recorded, after = 0, None
        while True:
            with self.services.pool.connection() as conn:
                timers = read_marks_due(conn, now, self.batch, after)
            recorded += self._record(timers, now)
            if len(timers) < self.batch:
                return recorded
            last = timers[-1].timer
            next_at = last.next_mark_at()
            assert next_at is not None
            after = (next_at, last.timer_id)

    def _wait_for_timers(self) -> None:
        """Let the read model reach the log head, so timers stopped just now are not marked."""
        head = self.services.ledger.recorder.max_notification_id() or 0
        if not wait_for(self.services.pool, READ_MODEL, head, min(self.interval, 5.0)):
            log.warning("SLA timers read model lags the log", extra={"head": head})

    def _record(self, timers: list[TimerView], now: datetime) -> int:
        futures: list[tuple[SlaMark, Future[Outcome]]] = []
        for view in timers:
            for command in marks_owed(view, now, self.services.calendar):
                futures.append(
                    (command, self.services.committer.submit(command, ACTOR, now)))
        recorded = 0
        for command, future in futures:
            try:
                duplicate = future.result().duplicate
            except LedgerError as error:
                log.warning("SLA mark refused", extra={"timer": command.timer_id,
                                                       "reason": str(error)})
                continue
            recorded += not duplicate
            self.repeats += duplicate
        self.recorded += recorded
        return recorded


def marks_owed(view: TimerView, now: datetime, calendar: BusinessCalendar) -> list[SlaMark]:
    """The commands for a timer's warnings and breach whose moment has passed by `now`."""
    timer = view.timer
    fields: dict[str, Any] = {"account_number": view.account_number, "timer_id": timer.timer_id,
                              "kind": timer.kind, "appeal_number": view.appeal_number}
    commands: list[SlaMark] = []
    for mark in timer.owed(now):
        at = calendar.local(mark.at)  # stored in office time, as people read it
        commands.append(
            MarkSlaBreached(**fields, due_at=at, at=at) if mark.threshold is None
            else MarkSlaAtRisk(**fields, threshold=mark.threshold, at=at))
    return commands
