"""Appends per second through the ledger, next to raw psycopg inserts, and the catch-up rate.

    python -m benchmarks.append [--database-url URL] [--events N] [--seconds S]
                                [--embedded] [--library-recorder]

Without --database-url it creates a scratch database on the local server
(postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end, or, when that server
is not reachable, starts the embedded PostgreSQL in a temporary folder. A --database-url must
name a scratch database: the benchmark writes events into it and rebuilds its timeline.

Every case runs after a warm-up, for S seconds or N events, whichever comes first. The raw
baselines insert rows of the same size into a table of the same shape as the events table, on
the same server, in the same run (before and after the other cases, pooled); each ratio names
the baseline it is divided by. The 8-writer group commit is also measured in rounds right after
its raw baseline (`paired`), so that both see the same load on a shared machine. The last case
runs it once more on a server that does not wait for the WAL flush at commit: not durable, a
ceiling for any change to the serial commit.
--library-recorder measures the eventsourcing library's own PostgreSQL write path instead of
adapters.event_store, for a before/after comparison.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from adapters import bootstrap
from adapters.bootstrap import Services, build, prepare_database
from adapters.settings import load_settings
from domain import commands as c
from domain.identity import account_stream_id
from domain.ledger import Ledger, Request
from domain.values import Channel, Direction

SEED = 20_240_601
LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
RAW_TABLE = "bench_raw_events"
WRITERS = 8
MANY_WRITERS = 32
"""As many callers as a busy API has requests in flight: how group commit scales."""
BATCH = 100
POOL_SIZE = 10
"""Connections of each of the ledger's pools: enough for 8 writers, light on a shared server."""
ACCOUNTS_PER_WRITER = 25
SHARED_ACCOUNTS = 16
WARMUP_SECONDS = 0.5
SUMMARY = "Входящий звонок: клиент уточнил показания счётчика и сроки оплаты"
NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)

Step = Callable[[], int]
"""One unit of work of a writer; returns how many events it appended."""


@dataclass(frozen=True)
class Measured:
    """One line of the table."""

    case: str
    events: int
    seconds: float
    baseline: str | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Report:
    """The measured lines in the order they were first run; a repeated case is pooled."""

    lines: list[Measured] = field(default_factory=list)
    runs: dict[str, list[float]] = field(default_factory=dict)

    def add(self, line: Measured) -> Measured:
        """Keep a line (pooling events and seconds with an earlier run of the same case)."""
        print(f"  {line.case}: {line.events} events in {line.seconds:.2f} s "
              f"= {line.rate:,.0f}/s", file=sys.stderr, flush=True)
        self.runs.setdefault(line.case, []).append(line.rate)
        for index, earlier in enumerate(self.lines):
            if earlier.case == line.case:
                rates = " and ".join(f"{r:,.0f}" for r in self.runs[line.case])
                self.lines[index] = Measured(
                    line.case, earlier.events + line.events, earlier.seconds + line.seconds,
                    line.baseline, f"{len(self.runs[line.case])} runs: {rates}/s",
                )
                return self.lines[index]
        self.lines.append(line)
        return line

    def ratio(self, line: Measured) -> str:
        """The line's rate over its baseline's rate, naming the baseline."""
        if line.baseline is None:
            return "—"
        base = next((b for b in self.lines if b.case == line.baseline), None)
        if base is None or base.rate == 0:
            return "—"
        return f"{line.rate / base.rate:.2f}× {line.baseline}"

    def markdown(self) -> str:
        """The table: case | events | seconds | events/s | ratio vs raw."""
        rows = ["| case | events | seconds | events/s | ratio vs raw (baseline) |",
                "|---|---:|---:|---:|---|"]
        for line in self.lines:
            case = f"{line.case} ({line.note})" if line.note else line.case
            rows.append(f"| {case} | {line.events:,} | {line.seconds:.2f} | "
                        f"{line.rate:,.0f} | {self.ratio(line)} |")
        return "\n".join(rows)


# -- running writers ---------------------------------------------------------------------


@dataclass
class Limits:
    """How long a case runs: S seconds or N events, whichever comes first."""

    seconds: float
    events: int
    warmup: float = WARMUP_SECONDS


class Writers:
    """Writer threads that prime untimed, warm up together, then count only timed steps."""

    def __init__(self, name: str, steps: Sequence[tuple[Callable[[], None], Step]]) -> None:
        self.name = name
        self.counts = [0] * len(steps)
        self.errors: list[BaseException] = []
        self.ready = threading.Barrier(len(steps) + 1)
        self.timing = threading.Event()
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self._write, args=(i, prime, step), name=f"bench-{name}-{i}")
            for i, (prime, step) in enumerate(steps)
        ]

    def _write(self, index: int, prime: Callable[[], None], step: Step) -> None:
        try:
            prime()
            self.ready.wait()
            while not self.stop.is_set():
                appended = step()
                if self.timing.is_set() and not self.stop.is_set():
                    self.counts[index] += appended
        except threading.BrokenBarrierError:
            pass
        except BaseException as error:
            self.errors.append(error)
            self.ready.abort()
            self.stop.set()

    def measure(self, limits: Limits) -> tuple[int, float]:
        """Events counted and seconds elapsed in the timed window."""
        for thread in self.threads:
            thread.start()
        with suppress(threading.BrokenBarrierError):
            self.ready.wait()
        time.sleep(limits.warmup)
        started = time.perf_counter()
        self.timing.set()
        deadline = started + limits.seconds
        while not self.stop.is_set() and time.perf_counter() < deadline \
                and sum(self.counts) < limits.events:
            time.sleep(0.005)
        self.stop.set()
        elapsed, total = time.perf_counter() - started, sum(self.counts)
        for thread in self.threads:
            thread.join()
        if self.errors:
            raise RuntimeError(f"{self.name} failed") from self.errors[0]
        return total, elapsed


def run_writers(
    name: str, steps: Sequence[tuple[Callable[[], None], Step]], limits: Limits,
    baseline: str | None = None, note: str = "",
) -> Measured:
    """One writer thread per (prime, step); the window ends at S seconds or N events."""
    events, seconds = Writers(name, steps).measure(limits)
    return Measured(name, events, seconds, baseline, note)


def _noop() -> None:
    return None


# -- the raw baseline --------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """A real encoded InteractionRecorded, whose topic and state the raw rows copy."""

    topic: str
    state: bytes


def sample_event(ledger: Ledger, number: str) -> Sample:
    """Record the benchmark's command once and read back the event it stored."""
    outcome = ledger.execute(interaction(number), "bench", NOW)
    stored = ledger.recorder.select_events(account_stream_id(outcome.account_number),
                                           desc=True, limit=1)[0]
    return Sample(stored.topic, stored.state)


def create_raw_table(url: str) -> None:
    """A table shaped like the events table: same columns, key and notification-id index."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(RAW_TABLE)))
        conn.execute(sql.SQL(
            "CREATE TABLE {t} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
            " topic text, state bytea, notification_id bigserial,"
            " PRIMARY KEY (originator_id, originator_version))"
        ).format(t=sql.Identifier(RAW_TABLE)))
        conn.execute(sql.SQL("CREATE UNIQUE INDEX {i} ON {t} (notification_id)").format(
            i=sql.Identifier(f"{RAW_TABLE}_notification_id_idx"), t=sql.Identifier(RAW_TABLE)))


def drop_raw_table(url: str) -> None:
    """Leave a given database as it was found, but for the ledger's own events."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(RAW_TABLE)))


_RAW_INSERT = sql.SQL(
    "INSERT INTO {} (originator_id, originator_version, topic, state)"
    " VALUES (%s, %s, %s, %s) RETURNING notification_id"
).format(sql.Identifier(RAW_TABLE))
_RAW_INSERT_MANY = sql.SQL(
    "INSERT INTO {} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
).format(sql.Identifier(RAW_TABLE))


def raw_writer(
    stack: ExitStack, url: str, sample: Sample, rng: random.Random, rows_per_commit: int
) -> tuple[Callable[[], None], Step]:
    """A connection of its own that inserts into its own streams, one transaction a step."""
    conn = stack.enter_context(psycopg.connect(url, autocommit=True))
    streams = [uuid.UUID(int=rng.getrandbits(128), version=4)
               for _ in range(ACCOUNTS_PER_WRITER)]
    versions = dict.fromkeys(streams, 0)
    turn = iter(range(1 << 62))

    def next_row() -> tuple[uuid.UUID, int, str, bytes]:
        stream = streams[next(turn) % len(streams)]
        versions[stream] += 1
        return stream, versions[stream], sample.topic, sample.state

    def one() -> int:
        row = conn.execute(_RAW_INSERT, next_row()).fetchone()
        assert row is not None
        return 1

    def many() -> int:
        with conn.transaction(), conn.cursor() as cur:
            cur.executemany(_RAW_INSERT_MANY, [next_row() for _ in range(rows_per_commit)])
        return rows_per_commit

    return _noop, (one if rows_per_commit == 1 else many)


def raw_case(
    name: str, url: str, sample: Sample, limits: Limits, rng: random.Random,
    connections: int, rows_per_commit: int = 1, baseline: str | None = None,
) -> Measured:
    """Raw psycopg inserts from `connections` threads, `rows_per_commit` rows a transaction."""
    with ExitStack() as stack:
        writers = [raw_writer(stack, url, sample, rng, rows_per_commit)
                   for _ in range(connections)]
        return run_writers(name, writers, limits, baseline)


# -- through the application -------------------------------------------------------------


class Accounts:
    """Distinct account numbers, drawn from a seeded generator and never reused."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def take(self, count: int) -> list[str]:
        """`count` fresh ten-digit account numbers."""
        numbers: list[str] = []
        while len(numbers) < count:
            number = str(self._rng.randrange(1_000_000_000, 9_999_999_999))
            if number not in self._used:
                self._used.add(number)
                numbers.append(number)
        return numbers


def interaction(number: str) -> c.RecordInteraction:
    """The benchmark's command: an inbound call, one event on the account."""
    return c.RecordInteraction(
        account_number=number, channel=Channel.PHONE, direction=Direction.INBOUND,
        occurred_at=NOW, summary=SUMMARY,
    )


def single_writer(
    run: Callable[[c.Command], object], numbers: list[str]
) -> tuple[Callable[[], None], Step]:
    """One command a step over its accounts; priming opens every account first."""
    commands = [interaction(n) for n in numbers]
    turn = iter(range(1 << 62))

    def prime() -> None:
        for command in commands:
            run(command)

    def step() -> int:
        run(commands[next(turn) % len(commands)])
        return 1

    return prime, step


def batch_writer(ledger: Ledger, numbers: list[str]) -> tuple[Callable[[], None], Step]:
    """An explicit batch of one command per account a step, in one transaction."""
    commands = [interaction(n) for n in numbers]

    def prime() -> None:
        _check(ledger.execute_batch([Request(cmd, "bench", NOW) for cmd in commands]))

    def step() -> int:
        return len(_check(ledger.execute_batch([Request(cmd, "bench", NOW)
                                                for cmd in commands])))

    return prime, step


def _check(results: Sequence[object]) -> Sequence[object]:
    for result in results:
        if isinstance(result, Exception):
            raise result
    return results


def app_cases(services: Services, limits: Limits, rng: random.Random, report: Report) -> None:
    """The plain per-command path, group commit, and explicit batches."""
    ledger, committer = services.ledger, services.committer
    accounts = Accounts(rng)

    def execute(command: c.Command) -> object:
        return ledger.execute(command, "bench", NOW)

    def commit(command: c.Command) -> object:
        return committer.execute(command, "bench", NOW)

    shared = accounts.take(SHARED_ACCOUNTS)
    cases: list[tuple[str, Callable[[c.Command], object], int, str, bool]] = [
        ("ledger.execute, 1 writer", execute, 1, "raw 1 conn, 1 row/tx", False),
        ("ledger.execute, 8 writers", execute, WRITERS, "raw 8 conn, 1 row/tx", False),
        ("committer.execute, 1 writer", commit, 1, "raw 1 conn, 1 row/tx", False),
        ("committer.execute, 8 writers", commit, WRITERS, "raw 8 conn, 1 row/tx", False),
        ("committer.execute, 8 writers, shared accounts", commit, WRITERS,
         "raw 8 conn, 1 row/tx", True),
        (f"committer.execute, {MANY_WRITERS} writers", commit, MANY_WRITERS,
         "raw 8 conn, 1 row/tx", False),
    ]
    for name, run, writers, baseline, share in cases:
        steps = [
            single_writer(run, rng.sample(shared, len(shared)) if share
                          else accounts.take(ACCOUNTS_PER_WRITER))
            for _ in range(writers)
        ]
        note = f"{SHARED_ACCOUNTS} accounts shared" if share else \
            f"{ACCOUNTS_PER_WRITER} own accounts each"
        report.add(run_writers(name, steps, limits, baseline, note))
    report.add(run_writers(
        f"ledger.execute_batch of {BATCH}, 1 writer", [batch_writer(ledger, accounts.take(BATCH))],
        limits, f"raw 1 conn, {BATCH} rows/tx", f"{BATCH} accounts, 1 command each",
    ))


PAIRED_ROUNDS = 3
PAIRED_RAW = "raw 8 conn, 1 row/tx, paired"


def paired_cases(
    services: Services, url: str, sample: Sample, limits: Limits, rng: random.Random,
    report: Report,
) -> None:
    """Group commit with 8 writers and its raw baseline, one right after the other, in rounds:
    on a machine whose load changes, both meet the same conditions (the ratio that counts)."""
    accounts = Accounts(rng)

    def commit(command: c.Command) -> object:
        return services.committer.execute(command, "bench", NOW)

    for _ in range(PAIRED_ROUNDS):
        report.add(raw_case(PAIRED_RAW, url, sample, limits, rng, WRITERS))
        steps = [single_writer(commit, accounts.take(ACCOUNTS_PER_WRITER)) for _ in range(WRITERS)]
        report.add(run_writers("committer.execute, 8 writers, paired", steps, limits, PAIRED_RAW,
                               f"{ACCOUNTS_PER_WRITER} own accounts each"))


@contextmanager
def flush_not_awaited(url: str) -> Iterator[None]:
    """New sessions of the scratch database commit without waiting for the WAL flush
    (`synchronous_commit = off`), for one case; reset afterwards."""
    database = sql.Identifier(str(psycopg.conninfo.conninfo_to_dict(url)["dbname"]))
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(database))
    try:
        yield
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER DATABASE {} RESET synchronous_commit").format(database))


def ceiling_case(url: str, limits: Limits, rng: random.Random, report: Report) -> None:
    """Group commit with 8 writers on a server that does not wait for the WAL flush: not
    durable, so never a way to run, but it bounds what any change to the serial, flushed
    commit under the table lock could gain; the rest of the gap to raw is the client's."""
    accounts = Accounts(rng)
    with flush_not_awaited(url):
        services = build(url, load_settings(), pool_size=POOL_SIZE)
        try:
            def commit(command: c.Command) -> object:
                return services.committer.execute(command, "bench", NOW)

            steps = [single_writer(commit, accounts.take(ACCOUNTS_PER_WRITER))
                     for _ in range(WRITERS)]
            report.add(run_writers(
                "committer.execute, 8 writers, no wait for the flush (ceiling, not durable)",
                steps, limits, "raw 8 conn, 1 row/tx", "synchronous_commit = off"))
        finally:
            services.close()


# -- reading the log back ----------------------------------------------------------------


def events_table(ledger: Ledger) -> str:
    """The name of the ledger's events table."""
    recorder = ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    return recorder.events_table_name


def raw_scan(url: str, table: str, page: int = 500) -> Measured:
    """Every row of the events table in pages of `page` by notification id, binary format."""
    query = sql.SQL(
        "SELECT originator_id, originator_version, topic, state, notification_id FROM {}"
        " WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
    ).format(sql.Identifier(table))
    with psycopg.connect(url) as conn, conn.cursor(binary=True) as cur:
        started = time.perf_counter()
        after, total = 0, 0
        while rows := cur.execute(query, (after, page)).fetchall():
            total += len(rows)
            after = rows[-1][4]
        elapsed = time.perf_counter() - started
    return Measured("raw SELECT scan of the events table", total, elapsed,
                    note=f"pages of {page}, binary")


def read_cases(services: Services, report: Report) -> None:
    """Raw scan, the follower's read (fetch + decode), then the timeline's catch-up."""
    table = events_table(services.ledger)
    report.add(raw_scan(services.url, table))
    scan = report.lines[-1].case
    projector = services.projector("timeline")
    started = time.perf_counter()
    after, total = 0, 0
    while batch := projector.follower.read(after, 500):
        total += len(batch)
        after = batch[-1].position
    report.add(Measured("LogFollower.read (fetch + decode)", total,
                        time.perf_counter() - started, scan, "pages of 500"))
    projector.reset()
    applied = [0]
    started = time.perf_counter()
    projector.catch_up(lambda n: applied.__setitem__(0, applied[0] + n))
    report.add(Measured("timeline projection catch_up()", applied[0],
                        time.perf_counter() - started, scan, "after reset()"))


# -- the database ------------------------------------------------------------------------


def _reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def scratch_database(given: str | None, embedded: bool = False) -> Iterator[str]:
    """The given database, or a fresh one on the local or embedded server (dropped after)."""
    if given is not None:
        yield given
        return
    name = f"ledger_bench_{os.getpid()}"
    if not embedded and _reachable(LOCAL_SERVER):
        with psycopg.connect(LOCAL_SERVER, autocommit=True) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield psycopg.conninfo.make_conninfo(LOCAL_SERVER, dbname=name)
        finally:
            _drop_database(name)
        return
    from adapters.embedded import EmbeddedPostgres  # starts pgserver: only when needed

    folder = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    try:
        with EmbeddedPostgres(folder) as server:
            yield server.create_database("bench")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drop_database(name: str, attempts: int = 30) -> None:
    """Drop the scratch database, waiting for a free connection on a busy shared server."""
    for attempt in range(attempts):
        try:
            with psycopg.connect(LOCAL_SERVER, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
            return
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1.0)


def machine(url: str) -> str:
    """What the numbers were measured on."""
    with psycopg.connect(url) as conn:
        settings = {
            name: str(value) for name, value in conn.execute(
                "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
                (["server_version", "fsync", "synchronous_commit", "shared_buffers"],),
            ).fetchall()
        }
    host = conninfo_host(url)
    return (
        f"nproc {len(os.sched_getaffinity(0))} (cpu_count {os.cpu_count()}), "
        f"{platform.machine()}, Python {platform.python_version()}, "
        f"psycopg {psycopg.__version__}; PostgreSQL {settings.get('server_version')} on "
        f"{host} (fsync={settings.get('fsync')}, "
        f"synchronous_commit={settings.get('synchronous_commit')}, "
        f"shared_buffers={settings.get('shared_buffers')} pages)"
    )


def conninfo_host(url: str) -> str:
    """Where the server is, without credentials."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


# -- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.append", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--events", type=int, default=30_000,
                        help="stop a case after this many events (default 30000)")
    parser.add_argument("--seconds", type=float, default=4.0,
                        help="stop a case after this many seconds (default 4)")
    parser.add_argument("--embedded", action="store_true",
                        help="use the embedded PostgreSQL even if the local server answers")
    parser.add_argument("--library-recorder", action="store_true",
                        help="the eventsourcing library's own PostgreSQL recorder (a transaction"
                             " of three round trips a save, one fast-forward query a command),"
                             " to compare with adapters.event_store")
    return parser.parse_args(argv)


@contextmanager
def library_recorder(enabled: bool) -> Iterator[None]:
    """While building, leave out adapters.event_store: the library's default write path."""
    namespace = vars(bootstrap)
    original: Callable[[str, str, int], dict[str, str]] = namespace["eventsourcing_env"]

    def env(url: str, schema: str = "public", pool_size: int = 10) -> dict[str, str]:
        values = original(url, schema, pool_size)
        values.pop("APPLICATION_RECORDER_TOPIC", None)
        return values

    if enabled:
        namespace["eventsourcing_env"] = env
    try:
        yield
    finally:
        namespace["eventsourcing_env"] = original


RAW_CASES = (
    ("raw 1 conn, 1 row/tx", 1, 1),
    ("raw 8 conn, 1 row/tx", WRITERS, 1),
    (f"raw 1 conn, {BATCH} rows/tx", 1, BATCH),
)


def main(argv: Sequence[str] | None = None) -> None:
    """Run every case and print the table; the raw cases run before and after the others."""
    args = parse_args(argv)
    limits = Limits(seconds=args.seconds, events=args.events)
    rng = random.Random(SEED)
    report = Report()
    started = time.perf_counter()
    with scratch_database(args.database_url, args.embedded) as url, ExitStack() as stack:
        with library_recorder(args.library_recorder):
            prepare_database(url)
            services = build(url, load_settings(), pool_size=POOL_SIZE)
        stack.callback(services.close)
        recorder = type(services.ledger.recorder).__name__
        sample = sample_event(services.ledger, Accounts(random.Random(SEED - 1)).take(1)[0])
        create_raw_table(url)
        stack.callback(drop_raw_table, url)
        for name, connections, rows in RAW_CASES:
            report.add(raw_case(name, url, sample, limits, rng, connections, rows))
        app_cases(services, limits, rng, report)
        paired_cases(services, url, sample, limits, rng, report)
        for name, connections, rows in RAW_CASES:
            report.add(raw_case(name, url, sample, limits, rng, connections, rows))
        read_cases(services, report)
        ceiling_case(url, limits, rng, report)
        info = machine(url)
    print(f"\nMachine: {info}; load average {os.getloadavg()[0]:.2f} at the end")
    print(f"Recorder: {recorder}. Event: {sample.topic}, state {len(sample.state)} bytes "
          f"(raw rows copy it). Per case {limits.seconds:g} s or {limits.events:,} events after "
          f"{limits.warmup:g} s warm-up; raw cases run before and after the others and pooled;"
          f" seed {SEED}.\n")
    print(report.markdown())
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
