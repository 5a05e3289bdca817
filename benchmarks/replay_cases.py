"""The cases the replay benchmark times: raw scans, the two fetch-and-decode paths, verify and
rebuilds. Each returns how many events it went through."""

from __future__ import annotations

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
