"""Follows the event log in order: batches of events after a position, woken by NOTIFY."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.log_notifications import LogNotifications
from adapters.pd_mapper import preload_keys
from domain.ledger import Ledger
from projections.base import LoggedEvent, event_type

_CACHED_NUMBERS = 100_000


class LogFollower:
    """Reads the ledger's log from any position; shared by projections, publisher and clock."""

    def __init__(self, ledger: Ledger, url: str) -> None:
        self._ledger = ledger
        self._url = url
        self._numbers: OrderedDict[UUID, str] = OrderedDict()
        self._listener: LogNotifications | None = None
        self._seen = 0

    def read(self, after: int, limit: int = 500, stop: int | None = None) -> list[LoggedEvent]:
        """Up to `limit` events after position `after` (and up to `stop`), in log order."""
        self.mark_seen()
        notifications = self._ledger.recorder.select_notifications(
            start=after + 1, limit=limit, stop=stop
        )
        mapper = self._ledger.mapper
        # the batch's data keys in one query: a campaign's events name thousands of accounts,
        # and a key query for each first sight held the notifications read model to ~700/s
        preload_keys(mapper, [(n.originator_id, n.topic) for n in notifications
                              if isinstance(n.originator_id, UUID)])
        logged = []
        for n in notifications:
            event = mapper.to_domain_event(n)
            logged.append(LoggedEvent(n.id, event, self._account_number(event)))
        return logged

    def head(self) -> int:
        """The last position written to the log (0 when empty)."""
        return self._ledger.recorder.max_notification_id() or 0

    def mark_seen(self) -> None:
        """What was appended until now is being read: `wait_for_new` waits for what comes
        next. `read` marks it itself; a reader of its own (the chain follower) calls this
        first, else every wait returned at once and it read the idle log in a loop."""
        self._seen = self._listening().count

    def wait_for_new(self, timeout: float) -> None:
        """Block until the log was appended to since the last read (a NOTIFY), or the timeout."""
        self._listening().wait_past(self._seen, timeout)

    def close(self) -> None:
        """Let go of the shared LISTEN connection."""
        if self._listener is not None:
            self._listener.release()
            self._listener = None

    def _listening(self) -> LogNotifications:
        if self._listener is None:
            self._listener = LogNotifications.acquire(self._url, self._channel())
        return self._listener

    def _channel(self) -> str:
        recorder = self._ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        return recorder.channel_name

    def _account_number(self, event: Any) -> str:
        origin: UUID = event.originator_id
        if event_type(event) == "Opened":
            self._remember(origin, event.number)
        number = self._numbers.get(origin)
        if number is None:
            opened = self._ledger.repository.event_store.get(origin, lte=1)
            # the ledger's own streams (checkpoints) have no account: ""
            number = getattr(next(iter(opened)), "number", "")
            self._remember(origin, number)
        return number

    def _remember(self, origin: UUID, number: str) -> None:
        self._numbers[origin] = number
        self._numbers.move_to_end(origin)
        if len(self._numbers) > _CACHED_NUMBERS:
            self._numbers.popitem(last=False)
