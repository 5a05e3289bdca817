"""Reading the stored log in binary format: bytea travels raw instead of hex-encoded.

The library's fetch is text format and decodes through its own row objects (~0.3× a raw
scan, STACK-NOTES.md); everything that reads the log (followers, chain, verify, export,
rebuilds) reads here instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.utils import resolve_topic
from psycopg import Connection, sql
from psycopg.rows import tuple_row

from domain.ledger import Ledger
from projections.base import LoggedEvent

Row = tuple[int, UUID, int, str, bytes]
"""(position, stream id, version, topic, stored state) of one stored event."""

_COLUMNS = sql.SQL("notification_id, originator_id, originator_version, topic, state")


def events_table(ledger: Ledger) -> sql.Composed:
    """The schema-qualified table the ledger stores its events in."""
    recorder = ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return sql.SQL("{}.{}").format(
        sql.Identifier(recorder.datastore.schema or "public"),
        sql.Identifier(recorder.events_table_name),
    )


def read_rows(
    conn: Connection[Any], table: sql.Composable, after: int, limit: int, stop: int | None = None
) -> list[Row]:
    """Up to `limit` stored events after position `after` (up to `stop`), in log order."""
    query = sql.SQL("SELECT {} FROM {} WHERE notification_id > %s AND notification_id <= %s"
                    " ORDER BY notification_id LIMIT %s").format(_COLUMNS, table)
    with conn.cursor(binary=True, row_factory=tuple_row) as cur:
        cur.execute(query, (after, stop if stop is not None else 2**62, limit))
        return cur.fetchall()


def scan(
    conn: Connection[Any], query: sql.Composed, params: tuple[Any, ...] = (),
    size: int = 20_000,
) -> Iterator[list[tuple[Any, ...]]]:
    """Stream a large result in binary format through a server-side cursor, a batch at a time."""
    with conn.transaction(), conn.cursor(
        name="ledger_scan", binary=True, row_factory=tuple_row
    ) as cur:
        cur.itersize = size
        cur.execute(query, params)
        while batch := cur.fetchmany(size):
            yield batch


class Page(NamedTuple):
    """A page of the log as a rebuild reads it."""

    events: list[LoggedEvent]
    """The decoded events, in log order."""
    last: int
    """The position of the page's last row, decoded or not."""
    rows: int
    """How many rows the page had."""


def log_pages(url: str, table: sql.Composable, after: int, stop: int | None,
              size: int) -> Iterator[list[Row]]:
    """Every stored event after `after` (up to `stop`) as the log stands now, `size` rows a
    page, through one server-side cursor on a connection of its own: what rebuilds read."""
    query = sql.SQL("SELECT {} FROM {} WHERE notification_id > %s AND notification_id"
                    " <= %s ORDER BY notification_id").format(_COLUMNS, table)
    with psycopg.connect(url) as conn:
        yield from scan(conn, query, (after, stop if stop is not None else 2**62), size)


@cache
def topic_type(topic: str) -> str:
    """The short event type name of a stored topic (as `event_type` names the event)."""
    return resolve_topic(topic).__qualname__.rsplit(".", 1)[-1]  # type: ignore[no-any-return]
