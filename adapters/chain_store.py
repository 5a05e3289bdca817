"""The chain's tables: links (event_chain), stream heads, and the checkpoints found in the log."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Connection
from psycopg.rows import tuple_row

from domain.chain import Head

Link = tuple[UUID, int, int, bytes, bytes]
"""(stream id, version, position, prev hash, hash) of one chained event."""


class CheckpointRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A checkpoint as the log holds it: what it covers, and where it was stored."""

    position: int
    root: bytes
    streams: int
    events: int
    event_position: int
    event_version: int


def load_heads(conn: Connection[Any], stream_ids: Iterable[UUID] | None) -> dict[UUID, Head]:
    """The chained heads of these streams (of every stream for None)."""
    with conn.cursor(binary=True, row_factory=tuple_row) as cur:
        if stream_ids is None:
            cur.execute("SELECT stream_id, version, hash FROM chain_heads")
        else:
            cur.execute("SELECT stream_id, version, hash FROM chain_heads"
                        " WHERE stream_id = ANY(%s)", (list(stream_ids),))
        return {row[0]: Head(row[0], row[1], row[2]) for row in cur}


def heads_at(conn: Connection[Any], position: int) -> list[Head]:
    """Every stream's head as the chain stood at a log position (what a checkpoint covers)."""
    with conn.cursor(binary=True, row_factory=tuple_row) as cur:
        cur.execute("SELECT DISTINCT ON (stream_id) stream_id, version, hash FROM event_chain"
                    " WHERE position <= %s ORDER BY stream_id, version DESC", (position,))
        return [Head(row[0], row[1], row[2]) for row in cur]


def insert_links(conn: Connection[Any], links: list[Link]) -> None:
    """Append chained events in one COPY."""
    with conn.cursor() as cur, cur.copy(
        "COPY event_chain (stream_id, version, position, prev_hash, hash) FROM STDIN"
    ) as copy:
        for link in links:
            copy.write_row(link)


def save_heads(conn: Connection[Any], heads: dict[UUID, Head], moved: dict[UUID, int]) -> None:
    """Store the new heads of the streams a batch moved (`moved`: stream -> last position)."""
    ids = list(moved)
    conn.execute(
        "INSERT INTO chain_heads (stream_id, version, hash, position)"
        " SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bytea[], %s::bigint[])"
        " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,"
        " hash = excluded.hash, position = excluded.position",
        (ids, [heads[i].version for i in ids], [heads[i].hash for i in ids],
         [moved[i] for i in ids]),
    )


def checkpoint_row(conn: Connection[Any], event: Any, event_position: int) -> None:
    """Remember a Checkpointed event of the log, by the position it covers."""
    conn.execute(
        "INSERT INTO chain_checkpoints (position, root, streams, events, event_position,"
        " event_version, recorded_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event.position, bytes.fromhex(event.root), event.streams, event.events,
         event_position, event.originator_version, event.timestamp),
    )


def latest_checkpoint(conn: Connection[Any], up_to: int | None = None) -> CheckpointRecord | None:
    """The checkpoint covering the most of the log (up to position `up_to` if given)."""
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(
            "SELECT position, root, streams, events, event_position, event_version"
            " FROM chain_checkpoints WHERE position <= %s ORDER BY position DESC LIMIT 1",
            (up_to if up_to is not None else 2**62,),
        ).fetchone()
    if row is None:
        return None
    return CheckpointRecord(position=row[0], root=bytes(row[1]), streams=row[2], events=row[3],
                            event_position=row[4], event_version=row[5])


def chain_position(conn: Connection[Any]) -> int:
    """How far the chain follower has got in the log."""
    row = conn.execute(
        "SELECT position FROM projection_positions WHERE name = 'event_chain'"
    ).fetchone()
    return 0 if row is None else int(row[0])
