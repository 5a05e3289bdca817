"""Rebuilds a read model a page at a time: one server-side scan of the log, each page's data
keys loaded in one query, its rows written in bulk and the position once, in one transaction.

The live follower (adapters/projector.py) keeps its small batches, each with its position; a
rebuild replays the whole log, where one statement per event made it ~25× slower than a raw
scan. A read model with `apply_page` (projections/page.py) gets the whole page and a COPY
sink; the others apply event by event, in the page's pipelined transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from psycopg import Connection, sql
from psycopg_pool import ConnectionPool

from adapters.follower import LogFollower
from adapters.log_scan import Page
from adapters.projector import lock_position, position_of
from adapters.row_sink import ColumnTypes, CopySink
from projections.base import LoggedEvent, Projection

PAGE = 5000


class BulkRebuild:
    """Brings one read model up to the log (or to `stop`) from its recorded position."""

    def __init__(self, pool: ConnectionPool, follower: LogFollower,
                 projection: Projection, page: int = PAGE) -> None:
        self.pool, self.follower, self.projection, self.page = pool, follower, projection, page
        self._types: ColumnTypes = {}

    def catch_up(self, progress: Callable[[int], object] | None = None,
                 stop: int | None = None) -> int:
        """Apply the log as it stands now; returns how many events were read.

        A page is decoded while the one before is written by a thread of its own: the server's
        COPY and commit then overlap the decoding (they took half a timeline rebuild)."""
        read = 0
        start = position_of(self.pool, self.projection.name)
        wanted = getattr(self.projection, "event_types", None)  # None: every type
        with ThreadPoolExecutor(1, thread_name_prefix=f"rebuild-{self.projection.name}") as w:
            writing: Future[int] | None = None
            for count, page in enumerate(self.follower.pages(start, stop, self.page, wanted), 1):
                if writing is not None:
                    self._written(writing, progress)
                writing = w.submit(self._applied, count, page)
                read += page.rows
            if writing is not None:
                self._written(writing, progress)
        return read

    @staticmethod
    def _written(writing: Future[int], progress: Callable[[int], object] | None) -> None:
        """Wait for a page to be written (its error raised here), then count it."""
        rows = writing.result()
        if progress is not None:
            progress(rows)

    def _applied(self, count: int, page: Page) -> int:
        self._apply(page)
        if count & (count - 1) == 0:
            self._analyze()
        return page.rows

    def _analyze(self) -> None:
        """Fresh statistics as the tables double: plans made for empty tables (sequential
        scans, cached by prepared statements) made each page slower than the one before."""
        with self.pool.connection() as conn:
            for table in self.projection.tables:
                conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))

    def _apply(self, page: Page) -> None:
        """One transaction: the position locked, what is past it applied, the position moved."""
        with self.pool.connection() as conn, conn.transaction():
            current = lock_position(conn, self.projection.name)
            if page.last <= current:
                return  # another runner got there first
            every = getattr(self.projection, "every_stream", False)  # e.g. campaigns
            todo = [e for e in page.events
                    if e.position > current and (e.account_number or every)]
            self._write(conn, todo)
            conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                         (page.last, self.projection.name))

    def _write(self, conn: Connection[Any], todo: Sequence[LoggedEvent]) -> None:
        apply_page = getattr(self.projection, "apply_page", None)
        if apply_page is not None:
            sink = CopySink(conn, self._types)
            apply_page(sink, todo)
            sink.flush()
            return
        with conn.pipeline(), conn.cursor() as cur:
            for logged in todo:
                self.projection.apply(cur, logged)
