"""Runs a projection: view changes and its position in one transaction (exactly-once effect)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from psycopg import Connection, sql
from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.pg_retry import log_failed_round, on_live_connection
from adapters.positions import Positions
from projections.base import LoggedEvent, Projection

log = logging.getLogger("ledger.projector")

BATCH = 500


class Projector:
    """Applies the log to one read model, from its recorded position onwards."""

    def __init__(self, pool: ConnectionPool, follower: LogFollower, projection: Projection,
                 positions: Positions | None = None):
        self.pool = pool
        self.follower = follower
        self.projection = projection
        self.positions = positions
        """Where to announce each position seen, for read-your-writes (adapters/positions.py)."""

    def step(self) -> int:
        """Apply the next batch; returns how many events it applied (0 when caught up)."""
        with self.pool.connection() as conn, conn.transaction():
            current = lock_position(conn, self.projection.name)
            batch = self.follower.read(current, BATCH)
            if batch:
                self._apply(conn, batch)
        if self.positions is not None:  # committed: by this runner, or by another before it
            self.positions.reached(self.name, batch[-1].position if batch else current)
        return len(batch)

    def _apply(self, conn: Connection[Any], batch: list[LoggedEvent]) -> None:
        every_stream = getattr(self.projection, "every_stream", False)  # e.g. campaigns
        with conn.pipeline(), conn.cursor() as cur:  # one round trip a batch, not an event
            for logged in batch:
                if logged.account_number or every_stream:  # of accounts, not checkpoints
                    self.projection.apply(cur, logged)
        conn.execute(
            "UPDATE projection_positions SET position = %s WHERE name = %s",
            (batch[-1].position, self.projection.name),
        )

    def catch_up(self, progress: Callable[[int], object] | None = None) -> None:
        """Apply everything in the log now."""
        while applied := self.step():
            if progress is not None:
                progress(applied)

    def run(self, stop: threading.Event) -> None:
        """Follow the log until stopped; errors are logged and retried, never skipped."""
        while not stop.is_set():
            try:
                self.catch_up()
                self.follower.wait_for_new(timeout=1.0)
            except Exception:
                log_failed_round(log, "projection failed; retrying", projection=self.name)
                stop.wait(1.0)

    @property
    def name(self) -> str:
        """The read model's name."""
        return self.projection.name

    def reset(self) -> None:
        """Empty the read model and its position, in one transaction, before a rebuild."""
        with self.pool.connection() as conn, conn.transaction():
            lock_position(conn, self.name)
            for table in self.projection.tables:
                conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(table)))
            conn.execute("UPDATE projection_positions SET position = 0 WHERE name = %s",
                         (self.name,))


def lock_position(conn: Connection[Any], name: str) -> int:
    """The read model's position, locked so two runners never apply the same event twice."""
    conn.execute(
        "INSERT INTO projection_positions (name, position) VALUES (%s, 0) ON CONFLICT DO NOTHING",
        (name,),
    )
    row = conn.execute(
        "SELECT position FROM projection_positions WHERE name = %s FOR UPDATE", (name,)
    ).fetchone()
    assert row is not None
    return int(row[0])


def position_of(pool: ConnectionPool, name: str) -> int:
    """How far a read model has got in the log."""
    row = on_live_connection(pool, lambda conn: conn.execute(
        "SELECT position FROM projection_positions WHERE name = %s", (name,)).fetchone())
    return 0 if row is None else int(row[0])


def wait_for(pool: ConnectionPool, name: str, position: int, timeout: float) -> bool:
    """Read-your-writes: wait until the read model has reached `position` (5 ms polls)."""
    deadline = time.monotonic() + timeout
    while position_of(pool, name) < position:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True
