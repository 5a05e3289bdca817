"""The hashes every stored event carries: its predecessor's and its own (domain/chain.py).

They are computed as the event is inserted, in the same statement, so no event is ever in the
log without them. A stream's head hash is remembered after each insert; a predecessor not in
memory is read back (its `hash` column, or the chain follower's `event_chain` row for events
stored before the columns existed, or, failing both, recomputed from its stream).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg import Connection, sql
from psycopg.rows import tuple_row

from domain.chain import GENESIS, link_hash

Hashes = tuple[list[bytes], list[bytes]]
"""(predecessor hashes, own hashes) of a batch, in its order."""


class StreamHashes:
    """Chains each new event to its stream's previous one; remembers recent stream heads."""

    def __init__(self, table: sql.Composable, remembered: int = 200_000) -> None:
        self._table = table
        self._heads: OrderedDict[UUID, tuple[int, bytes]] = OrderedDict()
        self._remembered = remembered
        self._lock = threading.Lock()

    def link(self, conn: Connection[Any], events: Sequence[StoredEvent]) -> Hashes:
        """The hashes of a batch about to be inserted, in its order."""
        known = self._known(conn, events)
        prevs, hashes = [], []
        for e in events:
            stream = _stream(e)
            prev = known[(stream, e.originator_version - 1)]
            digest = link_hash(prev, stream.bytes, e.originator_version, e.topic, e.state)
            known[(stream, e.originator_version)] = digest
            prevs.append(prev)
            hashes.append(digest)
        return prevs, hashes

    def stored(self, events: Sequence[StoredEvent], hashes: Sequence[bytes]) -> None:
        """Remember the heads a committed batch left (never before: a refused insert)."""
        with self._lock:
            for e, digest in zip(events, hashes, strict=True):
                self._heads[_stream(e)] = (e.originator_version, digest)
                self._heads.move_to_end(_stream(e))
            while len(self._heads) > self._remembered:
                self._heads.popitem(last=False)

    def _known(self, conn: Connection[Any], events: Sequence[StoredEvent]
               ) -> dict[tuple[UUID, int], bytes]:
        """The predecessor hash of each stream's first event in the batch."""
        firsts: dict[UUID, int] = {}
        for e in events:
            firsts.setdefault(_stream(e), e.originator_version)
        known: dict[tuple[UUID, int], bytes] = {}
        missing: dict[UUID, int] = {}
        with self._lock:
            for stream, first in firsts.items():
                head = self._heads.get(stream)
                if first == 1:
                    known[(stream, 0)] = GENESIS
                elif head is not None and head[0] == first - 1:
                    known[(stream, first - 1)] = head[1]
                else:
                    missing[stream] = first - 1
        if missing:
            known.update(self._read(conn, missing))
        return known

    def _read(self, conn: Connection[Any], wanted: dict[UUID, int]
              ) -> dict[tuple[UUID, int], bytes]:
        """Stored hashes of these stream versions (one query; a recount where none is)."""
        query = sql.SQL(
            "SELECT k.id, k.v, coalesce(e.hash, c.hash)"
            " FROM unnest(%s::uuid[], %s::bigint[]) AS k(id, v)"
            " LEFT JOIN {} e ON e.originator_id = k.id AND e.originator_version = k.v"
            " LEFT JOIN event_chain c ON c.stream_id = k.id AND c.version = k.v"
        ).format(self._table)
        with conn.cursor(binary=True, row_factory=tuple_row) as cur:
            rows = cur.execute(query, (list(wanted), list(wanted.values()))).fetchall()
        found = {(row[0], row[1]): bytes(row[2]) for row in rows if row[2] is not None}
        for stream, version in wanted.items():
            if (stream, version) not in found:
                found[(stream, version)] = self._recount(conn, stream, version)
        return found

    def _recount(self, conn: Connection[Any], stream: UUID, version: int) -> bytes:
        """The hash of a stream's event recomputed from its first (events stored before any
        hash was kept, and not yet chained by the follower)."""
        query = sql.SQL("SELECT originator_version, topic, state FROM {}"
                        " WHERE originator_id = %s AND originator_version <= %s"
                        " ORDER BY originator_version").format(self._table)
        digest = GENESIS
        with conn.cursor(binary=True, row_factory=tuple_row) as cur:
            for v, topic, state in cur.execute(query, (stream, version)):
                digest = link_hash(digest, stream.bytes, v, topic, bytes(state))
        return digest


def _stream(event: StoredEvent) -> UUID:
    stream = event.originator_id
    assert isinstance(stream, UUID), stream
    return stream
