"""The chain follower: hashes every stored event after its stream's last one, in log order.

Events carry their own hashes from the moment they are stored (adapters/event_hashes.py); the
follower recomputes them independently into `event_chain`, a second record that `ledger verify`
holds the events against. Like a projection it writes its rows and its position in one
transaction (exactly-once). Every N events or T seconds it appends a checkpoint (the Merkle
root over all streams' heads) to the log through the ledger, which publishes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError, StoredEvent
from psycopg import Connection
from psycopg_pool import ConnectionPool

from adapters.chain_store import checkpoint_row, insert_links, load_heads, save_heads
from adapters.follower import LogFollower
from adapters.log_scan import Row, events_table, read_rows
from adapters.pg_retry import log_failed_round
from adapters.projector import lock_position
from domain.chain import GENESIS, Head, link_hash, merkle_root
from domain.checkpoint import CHECKPOINT_STREAM_ID, Checkpoints
from domain.ledger import Ledger

log = logging.getLogger("ledger.chain")

NAME = "event_chain"
BATCH = 2000
CHECKPOINT_TOPIC_SUFFIX = "Checkpoints.Checkpointed"


class ChainFollower:
    """Extends event_chain from its recorded position; checkpoints as it goes."""

    def __init__(
        self, pool: ConnectionPool, ledger: Ledger, follower: LogFollower,
        every_events: int = 10_000, every_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pool, self.ledger, self.follower = pool, ledger, follower
        self.every_events, self.every_seconds, self.clock = every_events, every_seconds, clock
        self._table = events_table(ledger)
        self._last_checkpoint_at = clock()
        self._chained = 0

    def step(self) -> int:
        """Chain the next batch; returns how many events it chained (0 when caught up)."""
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)
            rows = read_rows(conn, self._table, position, BATCH)
            if not rows:
                return 0
            self._chain(conn, rows)
            conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                         (rows[-1][0], NAME))
        return len(rows)

    def _chain(self, conn: Connection[Any], rows: list[Row]) -> None:
        heads = load_heads(conn, {r[1] for r in rows})
        links = []
        for position, stream_id, version, topic, state in rows:
            prev = heads[stream_id].hash if stream_id in heads else GENESIS
            if version != (heads[stream_id].version if stream_id in heads else 0) + 1:
                log.error("version gap in the log", extra={"stream": str(stream_id),
                                                           "version": version})
            digest = link_hash(prev, stream_id.bytes, version, topic, state)
            links.append((stream_id, version, position, prev, digest))
            heads[stream_id] = Head(stream_id, version, digest)
            if topic.endswith(CHECKPOINT_TOPIC_SUFFIX):
                checkpoint_row(conn, self._decode(stream_id, version, topic, state), position)
        insert_links(conn, links)
        save_heads(conn, heads, {s: p for s, _, p, _, _ in links})

    def _decode(self, stream_id: UUID, version: int, topic: str, state: bytes) -> Any:
        return self.ledger.mapper.to_domain_event(StoredEvent(stream_id, version, topic, state))

    def catch_up(self, progress: Callable[[int], object] | None = None) -> None:
        """Chain everything in the log now, checkpointing when due."""
        while chained := self.step():
            self._chained += chained
            if progress is not None:
                progress(chained)
            self.checkpoint_if_due()
        self.checkpoint_if_due()

    def run(self, stop: threading.Event) -> None:
        """Follow the log until stopped; errors are logged and retried, never skipped."""
        while not stop.is_set():
            try:
                self.follower.mark_seen()
                self.catch_up()
                self.follower.wait_for_new(timeout=1.0)
            except Exception:
                log_failed_round(log, "chain follower failed; retrying")
                stop.wait(1.0)

    def checkpoint_if_due(self) -> int | None:
        """Append a checkpoint if N events or T seconds have passed with news since the last.

        What this follower chained is counted in memory, so the log is asked only when a
        checkpoint may be due; the log then counts only the other streams' events (a
        checkpoint of nothing but the last checkpoint would follow itself forever)."""
        waited = self.clock() - self._last_checkpoint_at >= self.every_seconds
        if self._chained < self.every_events and not waited:
            return None
        checkpoints = self._checkpoints()
        pending = self._pending(checkpoints.position)
        if pending >= self.every_events or (pending and waited):
            return self.checkpoint(checkpoints)
        return None

    def checkpoint(self, checkpoints: Checkpoints | None = None) -> int | None:
        """Append a checkpoint of the chain as it stands; the log position it was stored at."""
        checkpoints = checkpoints or self._checkpoints()
        with self.pool.connection() as conn, conn.transaction():
            position = lock_position(conn, NAME)
            heads = list(load_heads(conn, None).values())
        events = sum(h.version for h in heads)  # versions are consecutive from 1
        if not checkpoints.record(root=merkle_root(heads).hex(), position=position,
                                  streams=len(heads), events=events):
            return None
        try:
            recordings = self.ledger.save(checkpoints)
        except IntegrityError:  # another follower checkpointed first
            return None
        self._last_checkpoint_at, self._chained = self.clock(), 0
        log.info("checkpoint", extra={"position": position, "streams": len(heads)})
        return recordings[-1].notification.id

    def _checkpoints(self) -> Checkpoints:
        try:
            found: Checkpoints = self.ledger.repository.get(CHECKPOINT_STREAM_ID)
        except AggregateNotFoundError:
            return Checkpoints()
        return found

    def _pending(self, covered: int) -> int:
        """Events of other streams chained since the last checkpoint, counted up to N."""
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT count(*) FROM (SELECT 1 FROM event_chain WHERE position > %s"
                " AND stream_id <> %s LIMIT %s) p",
                (covered, CHECKPOINT_STREAM_ID, self.every_events),
            ).fetchone()
        return 0 if row is None else int(row[0])

