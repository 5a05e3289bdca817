"""Follows the event log in order: batches of events after a position, woken by NOTIFY."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.log_notifications import LogNotifications
from adapters.log_scan import Page, Row, events_table, log_pages, read_rows, topic_type
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
        """Up to `limit` events after position `after` (and up to `stop`), in log order: one
        binary-format query (the library's own fetch was text, half as fast), then decoded."""
        self.mark_seen()
        recorder = self._ledger.recorder
        assert isinstance(recorder, PostgresApplicationRecorder)
        with recorder.datastore.get_connection() as conn:
            rows = read_rows(conn, events_table(self._ledger), after, limit, stop)
        return self.decode(rows)

    def pages(self, after: int, stop: int | None, size: int,
              wanted: frozenset[str] | None = None) -> Iterator[Page]:
        """Every event after `after` (up to `stop`) as the log stands now, `size` rows a page:
        what rebuilds read. Only `wanted` event types (and Opened) are decoded: the rest cost
        just their fetch."""
        keep = None if wanted is None else wanted | {"Opened"}  # Opened names the account
        for rows in log_pages(self._url, events_table(self._ledger), after, stop, size):
            read, last = len(rows), rows[-1][0]
            if keep is not None:
                rows = [r for r in rows if topic_type(r[3]) in keep]
            yield Page(self.decode(rows), last, read)

    def decode(self, rows: list[Row]) -> list[LoggedEvent]:
        """Stored rows as logged events, the page's data keys loaded in one query first: a
        campaign's events name thousands of accounts, and a key query for each first sight
        held the notifications read model to ~700/s."""
        mapper = self._ledger.mapper
        preload_keys(mapper, [(row[1], row[3]) for row in rows])
        to_domain_event = mapper.to_domain_event
        logged = []
        for position, stream_id, version, topic, state in rows:
            event = to_domain_event(StoredEvent(stream_id, version, topic, state))
            logged.append(LoggedEvent(position, event, self._account_number(event)))
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
