"""Rebuild a read model beside the live one (`shadow_<name>`), compare them, swap blue/green.

The shadow schema is made from the same migration files (unqualified names, so a search_path
puts the tables there), projected from the log by the same projection, then compared at the
same log position while the live projector is held at it. A swap moves the live tables to
`retired_<name>` and the rebuilt ones in, in one transaction: readers wait milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg import Connection, sql
from psycopg_pool import ConnectionPool

from adapters.bulk_rebuild import BulkRebuild
from adapters.follower import LogFollower
from adapters.migrate import migration_files
from adapters.projector import lock_position
from adapters.table_diff import TableDiff, diff_table
from domain.ledger import Ledger
from projections.base import Projection


class UntilFollower(LogFollower):
    """Reads no further than `until`, so the rebuild stops where the live model stands."""

    until: int | None = None

    def read(self, after: int, limit: int = 500, stop: int | None = None) -> list[Any]:
        """As the base, capped at `until`."""
        return super().read(after, limit, stop if stop is not None else self.until)


class ShadowRebuild:
    """One read model rebuilt in its own schema, next to the live one."""

    def __init__(self, url: str, ledger: Ledger, projection: Projection) -> None:
        self.url, self.projection = url, projection
        self.schema = f"shadow_{projection.name}"
        self.retired = f"retired_{projection.name}"
        self.follower = UntilFollower(ledger, url)
        self.pool = ConnectionPool(url, min_size=1, max_size=2, open=False, kwargs={
            "options": f"-c search_path={self.schema},public"})
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT current_schema()").fetchone()
        self.live = str(row[0]) if row else "public"

    def create(self) -> None:
        """A fresh shadow schema with the read model's tables, from its migration files."""
        schema = sql.Identifier(self.schema)
        with psycopg.connect(self.url, autocommit=True) as conn, conn.transaction():
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(schema))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(schema))
            conn.execute(sql.SQL("SET LOCAL search_path TO {}, public").format(schema))
            for sql_text in self._migrations():
                conn.execute(sql_text.encode())
            conn.execute(sql.SQL("CREATE TABLE {}.projection_positions (LIKE {}.projection_"
                                 "positions INCLUDING ALL)").format(
                                     schema, sql.Identifier(self.live)))

    def _migrations(self) -> list[str]:
        names = "|".join(re.escape(t) for t in self.projection.tables)
        mentions = re.compile(rf"\b({names})\b")
        return [text for _, _, text in migration_files() if mentions.search(text)]

    def build(self, progress: Callable[[int], object] | None = None) -> int:
        """Project the log into the shadow up to where the live model stands now."""
        with psycopg.connect(self.url) as conn:
            live_position = self._live_position(conn, lock=False)
        return self._catch_up(live_position, progress)

    def _catch_up(self, until: int, progress: Callable[[int], object] | None = None) -> int:
        self.pool.open(wait=True)
        self.follower.until = until

        def advanced(count: int) -> None:
            if progress is not None:
                progress(count)

        BulkRebuild(self.pool, self.follower, self.projection).catch_up(advanced, stop=until)
        return until

    def _live_position(self, conn: Connection[Any], lock: bool) -> int:
        if lock:
            return lock_position(conn, self.projection.name)
        row = conn.execute(sql.SQL("SELECT position FROM {}.projection_positions WHERE name"
                                   " = %s").format(sql.Identifier(self.live)),
                           (self.projection.name,)).fetchone()
        return 0 if row is None else int(row[0])

    def compare(self) -> tuple[int, list[TableDiff]]:
        """Hold the live model still, bring the shadow to its position, diff every table."""
        with psycopg.connect(self.url) as conn, conn.transaction():
            position = self._catch_up(self._live_position(conn, lock=True))
            return position, [diff_table(conn, t, self.live, self.schema)
                              for t in self.projection.tables]

    def swap(self) -> int:
        """Make the rebuilt tables live (blue/green), keeping the old ones in `retired_<name>`."""
        live, shadow, retired = (sql.Identifier(s) for s in
                                 (self.live, self.schema, self.retired))
        with psycopg.connect(self.url) as conn, conn.transaction():
            position = self._catch_up(self._live_position(conn, lock=True))
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(retired))
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(retired))
            for table in map(sql.Identifier, self.projection.tables):
                conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                    live, table, retired))
                conn.execute(sql.SQL("ALTER TABLE {}.{} SET SCHEMA {}").format(
                    shadow, table, live))
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(shadow))
        return position

    def close(self) -> None:
        """Release the shadow's connections."""
        self.pool.close()
        self.follower.close()
