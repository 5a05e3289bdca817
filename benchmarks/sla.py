"""SLA timers at scale: the timers projection's rate and the SLA clock's scan cost with
100,000 open timers, next to raw SQL baselines measured in the same run.

    python -m benchmarks.sla [--database-url URL] [--timers N] [--due N] [--repeat R]

Without --database-url it creates a scratch database on the local server
(postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end. A --database-url must
name a scratch database. Letters are registered through the ledger (two timers each); `--due`
timers were received 60 days ago (all their warnings and breaches owed), the rest within the
hour (nothing owed yet).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from uuid import UUID

import psycopg
from psycopg import sql

from adapters.bootstrap import Services, build, prepare_database
from adapters.bulk_rebuild import BulkRebuild
from adapters.clock import SlaClock
from adapters.follower import LogFollower
from adapters.settings import load_settings
from domain import commands as c
from domain.identity import format_appeal_number
from domain.ledger import Request
from domain.values import AppealType, Channel
from projections.sla_timer_queries import read_marks_due

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
SEED, BATCH, APPEALS_PER_ACCOUNT = 20_261_126, 500, 10
Row = tuple[str, int, float, str]
"""case, items, seconds, what an item is."""


class CountingNumbers:
    """Appeal numbers from a counter: seeding registers appeals and never looks them up."""

    def __init__(self) -> None:
        self.last = 0

    def allocate(self, account_id: UUID, year: int) -> str:
        self.last += 1
        return format_appeal_number(year, self.last)

    def locate(self, appeal_number: str) -> UUID | None:
        return None


def seed(services: Services, timers: int, due: int, now: datetime) -> int:
    """Register letters through the ledger (two timers each); the events appended."""
    rng, numbers = random.Random(SEED), services.ledger.numbers
    services.ledger.numbers = CountingNumbers()
    appeals, late = timers // 2, due // 2
    requests = [Request(_letter(i, rng, now, late), "bench", now) for i in range(appeals)]
    for start in range(0, len(requests), BATCH):
        services.ledger.execute_batch(requests[start:start + BATCH])
    services.ledger.numbers = numbers
    return services.ledger.recorder.max_notification_id() or 0


def _letter(i: int, rng: random.Random, now: datetime, late: int) -> c.RegisterAppeal:
    age = timedelta(days=60) if i < late else timedelta(minutes=rng.randrange(60))
    return c.RegisterAppeal(
        account_number=f"{7_000_000_000 + i // APPEALS_PER_ACCOUNT}", channel=Channel.MAIL,
        type=AppealType.STATEMENT, received_at=now - age, subject="Перерасчёт",
        text="Прошу пересчитать счёт за электроэнергию за март")


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_of(repeat: int, action: Callable[[], object]) -> float:
    return statistics.median(timed(action) for _ in range(repeat))


def projection(services: Services, events: int) -> list[Row]:
    """The timers read model projected from the log event by event (the live follower) and a
    page at a time (`ledger projections rebuild`), and a raw insert of the same rows."""
    projector = services.projector("sla_timers")
    projector.reset()
    seconds = timed(projector.catch_up)
    with services.pool.connection() as conn:
        conn.execute("ANALYZE sla_timers")  # as autovacuum would after a bulk load
        rows = conn.execute("SELECT * FROM sla_timers ORDER BY timer_id").fetchall()
    projector.reset()
    follower = LogFollower(services.ledger, services.url)
    bulk = timed(lambda: BulkRebuild(services.pool, follower, projector.projection).catch_up())
    follower.close()
    with services.pool.connection() as conn:
        rebuilt = conn.execute("SELECT * FROM sla_timers ORDER BY timer_id").fetchall()
        if rebuilt != rows:
            raise SystemExit("the bulk rebuild's timers differ from the live follower's")
        conn.execute("CREATE TEMP TABLE bench_raw_timers (LIKE sla_timers INCLUDING ALL)")
        placeholders = sql.SQL(", ").join(sql.Placeholder() * len(rows[0]))
        insert = sql.SQL("INSERT INTO bench_raw_timers VALUES ({})").format(placeholders)
        with conn.cursor() as cur:
            raw = timed(lambda: cur.executemany(insert, rows))
    return [("projection: log → sla_timers, event by event (live)", events, seconds, "events"),
            ("projection: timers written", len(rows), seconds, "timers"),
            ("rebuild: log → sla_timers, bulk pages", events, bulk, "events"),
            ("rebuild: timers written", len(rows), bulk, "timers"),
            ("raw SQL: executemany INSERT of the same rows", len(rows), raw, "timers")]


def scans(services: Services, repeat: int, due: int) -> list[Row]:
    """The clock's candidate read and a whole scan, next to raw SQL over the same table."""
    now, clock = datetime.now(UTC), SlaClock(services, interval=0.01)

    def candidates() -> int:
        with services.pool.connection() as conn:
            return sum(len(v.timer.owed(now)) for v in read_marks_due(conn, now, 100_000))

    def raw(query: str) -> Callable[[], object]:
        def run() -> object:
            with services.pool.connection() as conn:
                return conn.execute(query, {"now": now}).fetchall()
        return run

    found = candidates()
    rows = [
        ("clock: find owed marks (index, decode, owed)", found, median_of(repeat, candidates),
         "marks"),
        ("raw SQL: indexed SELECT of due timers", due, median_of(repeat, raw(
            "SELECT timer_id FROM sla_timers WHERE next_mark_at <= %(now)s")), "timers"),
        ("raw SQL: naive scan of every open timer", due, median_of(repeat, raw(
            "SELECT timer_id FROM sla_timers WHERE outcome IS NULL AND"
            " (due_at <= %(now)s OR warn_instants[1] <= %(now)s)")), "timers"),
    ]
    recorded_in = timed(clock.scan)
    rows.append(("clock: one scan recording every owed mark", clock.recorded, recorded_in,
                 "marks"))
    services.projector("sla_timers").catch_up()
    rows.append(("clock: idle scan, nothing owed", 1, median_of(repeat, clock.scan), "scans"))
    return rows


def table(rows: list[Row], timers: int) -> str:
    lines = [f"{timers:,} timers in sla_timers", "",
             "| case | items | seconds | items/s |", "|---|---:|---:|---:|"]
    for case, items, seconds, unit in rows:
        rate = f"{items / seconds:,.0f} {unit}/s" if items and seconds else "—"
        lines.append(f"| {case} | {items:,} {unit} | {seconds:.4f} | {rate} |")
    return "\n".join(lines)


@contextmanager
def scratch_database(given: str | None) -> Iterator[str]:
    """The given database, or a fresh one on the local server, dropped after."""
    if given is not None:
        yield given
        return
    name = f"ledger_bench_sla_{os.getpid()}"
    with psycopg.connect(LOCAL_SERVER, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield psycopg.conninfo.make_conninfo(LOCAL_SERVER, dbname=name)
    finally:
        with psycopg.connect(LOCAL_SERVER, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def main(argv: Sequence[str] | None = None) -> None:
    """Seed, rebuild the read model, scan; print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sla", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--timers", type=int, default=100_000, help="open timers (100000)")
    parser.add_argument("--due", type=int, default=1_000, help="of them owed marks (1000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each scan (median)")
    args = parser.parse_args(argv)
    with scratch_database(args.database_url) as url:
        prepare_database(url)
        services = build(url, load_settings(), pool_size=4)
        try:
            print(f"seeding {args.timers:,} timers...", file=sys.stderr, flush=True)
            events = seed(services, args.timers, args.due, datetime.now(UTC))
            rows = projection(services, events) + scans(services, args.repeat, args.due)
        finally:
            services.close()
    print(table(rows, args.timers))


if __name__ == "__main__":
    main()
