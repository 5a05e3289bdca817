"""The cases the replay benchmark times: raw scans, the two fetch-and-decode paths, verify and
rebuilds. Each returns how many events it went through."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg import sql

from adapters.bootstrap import Services
from adapters.bulk_rebuild import BulkRebuild
from adapters.follower import LogFollower
from adapters.log_scan import read_rows, scan
from adapters.pd_mapper import preload_keys
from adapters.projector import Projector
from adapters.verify import verify_database

Case = Callable[[], int]


def raw_scan(url: str, table: sql.Composable, how: str) -> Case:
    """Every row of the events table, fetched and dropped: the floor of any replay.

    `how`: "cursor" (binary, server-side cursor), "stream" (binary, chunked streaming), "text"."""
    query = sql.SQL("SELECT notification_id, originator_id, originator_version, topic, state"
                    " FROM {} ORDER BY notification_id").format(table)

    def run() -> int:
        count = 0
        with psycopg.connect(url) as conn:
            if how == "cursor":
                return sum(len(batch) for batch in scan(conn, query))
            if how == "stream":
                with conn.cursor(binary=True) as cur:
                    return sum(1 for _ in cur.stream(query, size=1000))
            with conn.transaction(), conn.cursor(name="text_scan") as cur:
                cur.execute(query)
                while batch := cur.fetchmany(20_000):
                    count += len(batch)
        return count

    return run


def library_replay(services: Services) -> Case:
    """The library's fetch (text format, its row objects) and our mapper's decode."""
    def run() -> int:
        recorder, mapper, count, start = services.ledger.recorder, services.ledger.mapper, 0, 1
        while notifications := recorder.select_notifications(start=start, limit=5000):
            for n in notifications:
                mapper.to_domain_event(n)
            count, start = count + len(notifications), notifications[-1].id + 1
        return count
    return run


def binary_replay(services: Services, table: sql.Composable, mapper: Mapper[Any],
                  bulk_keys: bool) -> Case:
    """Binary fetch and the msgspec mapper's typed decode: what rebuilds and exports read.

    With `bulk_keys` a page's data keys load in one query, else one query per account."""
    def run() -> int:
        count, after = 0, 0
        services.keys.forget()
        with psycopg.connect(services.url) as conn:
            while rows := read_rows(conn, table, after, 5000):
                if bulk_keys:
                    preload_keys(mapper, [(row[1], row[3]) for row in rows])
                for _, sid, version, topic, state in rows:
                    mapper.to_domain_event(StoredEvent(sid, version, topic, state))
                count, after = count + len(rows), rows[-1][0]
        return count
    return run


def verify_all(services: Services, table: sql.Composable) -> Case:
    """`ledger verify` over the whole log."""
    def run() -> int:
        verdict = verify_database(services.url, table, services.ledger.mapper)
        assert verdict.intact, verdict.breaks[:3]
        return verdict.events
    return run


def rebuild(services: Services, name: str, bulk: bool) -> Case:
    """`ledger projections rebuild NAME`: reset, then project the whole log (binary fetch),
    in bulk pages (adapters/bulk_rebuild.py) or as the live follower does, event by event."""
    def run() -> int:
        follower = LogFollower(services.ledger, services.url)
        projector = Projector(services.pool, follower, services.projections[name])
        projector.reset()
        services.keys.forget()
        count = 0

        def counted(n: int) -> None:
            nonlocal count
            count += n

        if bulk:
            BulkRebuild(services.pool, follower, projector.projection).catch_up(counted)
        else:
            projector.catch_up(counted)
        return count
    return run



def raw_write_seconds(url: str, tables: tuple[str, ...]) -> float | None:
    """How long the server takes to write the rows a rebuild left in `tables`: they are
    copied out (binary, already encoded), then timed going into empty copies of the tables
    with the same indexes, in one transaction. That is the share of a rebuild no client work
    can take away; run it right after the rebuild. None when the tables are empty."""
    with psycopg.connect(url) as conn:
        counts = [conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(table))).fetchone() for table in tables]
        if not any(row and row[0] for row in counts):
            return None
        data = {table: _copied_out(conn, table) for table in tables}
        for table in tables:
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE {} INCLUDING ALL)").format(
                _copy_of(table), sql.Identifier(table)))
        conn.commit()
        started = time.perf_counter()
        with conn.transaction():
            for table, chunks in data.items():
                with conn.cursor().copy(sql.SQL("COPY {} FROM STDIN (FORMAT BINARY)").format(
                        _copy_of(table))) as copy:
                    for chunk in chunks:
                        copy.write(chunk)
        seconds = time.perf_counter() - started
        for table in tables:
            conn.execute(sql.SQL("DROP TABLE {}").format(_copy_of(table)))
    return seconds


def _copy_of(table: str) -> sql.Identifier:
    return sql.Identifier(f"bench_copy_{table}")


def _copied_out(conn: psycopg.Connection[Any], table: str) -> list[bytes]:
    with conn.cursor().copy(sql.SQL("COPY {} TO STDOUT (FORMAT BINARY)").format(
            sql.Identifier(table))) as copy:
        return [bytes(chunk) for chunk in copy]
