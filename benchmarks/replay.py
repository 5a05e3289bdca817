"""Replay rates: `verify --all` and a full projection rebuild, next to raw scans of the same rows.

    python -m benchmarks.replay [--database-url URL] [--events N] [--keep]

Without --database-url it creates a scratch database on the local server (or the embedded
one) and drops it at the end (unless --keep). The target size is 1,000,000 events (about thirty
minutes on two shared cores, most of it decoding and the rebuilds); the default, 200,000, five.
Every rate is events per second over the same rows in the same run; the ratios divide by the
two raw binary-format scans (a server-side cursor, as the library fetches; and chunked
streaming, psycopg 3.2 on libpq 17+).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace

import psycopg
from psycopg import sql
from tqdm import tqdm

from adapters.bootstrap import Services, build, prepare_database
from adapters.log_scan import events_table
from adapters.settings import Settings, load_settings
from benchmarks.replay_cases import (
    Case,
    binary_replay,
    library_replay,
    raw_scan,
    raw_write_seconds,
    rebuild,
    verify_all,
)
from benchmarks.replay_fill import fill, scratch_database


def settings() -> Settings:
    """The environment's settings; checkpoints only when the benchmark asks for one."""
    return replace(load_settings(), checkpoint_every_events=10**9, checkpoint_seconds=10**9)


def measure(label: str, case: Case, repeat: int = 1) -> tuple[str, int, float]:
    """The best of `repeat` runs: the machine is shared, the best run is the least disturbed."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = case()
        best = min(best, time.perf_counter() - started)
    return label, count, best


def main(argv: Sequence[str] | None = None) -> None:
    """Fill, chain, then time each case after a warm-up scan (reads: best of three)."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    with ExitStack() as stack:
        url = args.database_url or stack.enter_context(scratch_database(keep=args.keep))
        prepare_database(url)
        services = build(url, settings(), pool_size=4)
        stack.callback(services.close)
        table, mapper = events_table(services.ledger), services.ledger.mapper
        with tqdm(total=args.events, unit="event", desc="fill", file=sys.stderr) as bar:
            fill(url, table, mapper, args.events, bar.update)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(table))
        chained = measure("chain follower (hash + COPY)", lambda: _chain(services))
        raw_scan(url, table, "cursor")()  # warm the buffer cache
        rows = [
            measure("raw SELECT, binary, server-side cursor", raw_scan(url, table, "cursor"), 3),
            measure("raw SELECT, binary, streamed in chunks", raw_scan(url, table, "stream"), 3),
            measure("raw SELECT, text format", raw_scan(url, table, "text"), 3),
            measure("library fetch + decode", library_replay(services), 3),
            measure("binary fetch + msgspec decode, a key query per account",
                    binary_replay(services, table, mapper, False), 3),
            measure("binary fetch + msgspec decode, keys per page",
                    binary_replay(services, table, mapper, True), 3),
            measure("verify --all", verify_all(services, table), 3),
            chained,
            measure("rebuild timeline, event by event", rebuild(services, "timeline", False)),
            *_rebuilds(services, url),
        ]
    print(render(rows))


def _rebuilds(services: Services, url: str) -> list[tuple[str, int, float]]:
    """Each read model's bulk rebuild, then the server writing the same rows alone: the
    rate the rebuild would have if reading and decoding the log cost nothing."""
    rows = []
    for name, projection in services.projections.items():
        label, events, seconds = measure(f"rebuild {name}, bulk pages", rebuild(
            services, name, True))
        rows.append((label, events, seconds))
        alone = raw_write_seconds(url, projection.tables)
        if alone is not None:  # None: the log had no events it keeps rows of
            rows.append((f"  its rows written alone (raw binary COPY, {name})", events,
                         alone))
    return rows


def _chain(services: Services) -> int:
    follower = services.chain_follower(settings())
    count = 0

    def counted(n: int) -> None:
        nonlocal count
        count += n

    follower.catch_up(counted)
    follower.checkpoint()
    follower.catch_up()
    return count


def render(rows: list[tuple[str, int, float]]) -> str:
    """A Markdown table: events/s, and the ratios to both raw binary scans."""
    cursor, stream = (rows[i][1] / rows[i][2] for i in (0, 1))
    lines = ["| case | events | seconds | events/s | × raw binary (cursor) |"
             " × raw binary (streamed) |", "|---|---:|---:|---:|---:|---:|"]
    lines += [f"| {label} | {count:,} | {seconds:.2f} | {count / seconds:,.0f} |"
              f" {count / seconds / cursor:.2f} | {count / seconds / stream:.2f} |"
              for label, count, seconds in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
