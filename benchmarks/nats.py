"""The NATS publisher: its catch-up rate next to a raw nats-py loop, and append-to-consumer latency.

    python -m benchmarks.nats [--database-url URL] [--nats-url URL] [--events N]
                              [--rounds R] [--rate R] [--seconds S]

Without --database-url it creates a scratch database on the local server
(postgresql://postgres@127.0.0.1:5432/postgres) and drops it at the end, or starts the embedded
PostgreSQL when that server is not reachable. Without --nats-url it uses the NATS at
127.0.0.1:4222 when it has JetStream, else the embedded nats-server. Every stream it creates has
a name of its own and is deleted at the end.

Throughput: N stored events (the backlog) are published R times, alternating two cases, each
round into fresh streams of the same configuration, and the median round is shown:
- raw: the same subjects and JSON bodies, each with a Nats-Msg-Id header, sent by a plain loop
  of `js.publish_async` and then awaiting every ack (the baseline);
- publisher: `NatsEventPublisher.step()` from position 0 until it returns 0, i.e. read the log
  into messages (`MessageFollower`, as `ledger serve` does), send each batch as a chain with one
  ack for its last message, record the position, batch after batch.
Then where the publisher's time goes: the read into messages alone (next to the decoding read
it replaces), and the send of ready batches, each divided by the raw rate.

Latency: the publisher runs in its worker thread as in `ledger serve`; a pacer submits one
command (one event) every 1/rate seconds through the group committer for S seconds, and an
ordered JetStream consumer notes when each position arrives.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import functools
import json
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import psycopg
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DeliverPolicy
from psycopg import sql

from adapters.bootstrap import Services, build, prepare_database
from adapters.embedded import EmbeddedNats, EmbeddedPostgres, create_database
from adapters.follower import LogFollower
from adapters.nats.publisher import NAME, NatsEventPublisher
from adapters.nats.sending import MSG_ID, Outgoing, outgoing, send
from adapters.nats.stored_pages import MessageFollower
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.nats.workers import start_workers_thread
from adapters.settings import Settings, load_settings
from domain import commands as c
from domain.ledger import Outcome, Request
from domain.values import Channel, Direction

SEED = 20_240_601
LOCAL_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_NATS = ("127.0.0.1", 4222)
ACCOUNTS = 100
PAGE = 1000
SUMMARY = "Входящий звонок: клиент уточнил показания счётчика и сроки оплаты"
NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
WARMUP_SECONDS = 0.5
DRAIN_SECONDS = 10.0
TARGET_RATIO = 0.8
TARGET_P99_MS = 50.0


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """One throughput line: how many events in how long."""

    case: str
    events: int
    seconds: float
    note: str = ""

    @property
    def per_second(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds > 0 else 0.0


def median_round(case: str, rounds: list[Rate]) -> Rate:
    """The median round, noting the spread of all of them."""
    ordered = sorted(rounds, key=lambda r: r.per_second)
    middle = ordered[len(ordered) // 2]
    low, high = ordered[0].per_second, ordered[-1].per_second
    spread = f"median of {len(rounds)}: {low:,.0f}–{high:,.0f}/s"
    return Rate(case, middle.events, middle.seconds, spread)


@dataclass(frozen=True)
class Latency:
    """One latency line, in milliseconds."""

    path: str
    samples: list[float]

    @property
    def median(self) -> float:
        """The median, in ms."""
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        """The 99th percentile, in ms."""
        return statistics.quantiles(self.samples, n=100)[98]


def throughput_table(raw: Rate, lines: list[Rate]) -> str:
    """The throughput lines as Markdown, each divided by the raw rate."""
    out = ["| case | events | s | events/s | ratio to raw | note |",
           "|---|---:|---:|---:|---:|---|"]
    for line in [raw, *lines]:
        ratio = line.per_second / raw.per_second if raw.per_second else 0.0
        out.append(f"| {line.case} | {line.events:,} | {line.seconds:.2f} | "
                   f"{line.per_second:,.0f} | {ratio:.2f}× | {line.note} |")
    return "\n".join(out)


def latency_table(lines: list[Latency], title: str) -> str:
    """The latency lines as Markdown."""
    out = [f"| {title} | n | median ms | p99 ms | max ms |", "|---|---:|---:|---:|---:|"]
    out += [f"| {line.path} | {len(line.samples):,} | {line.median:.1f} | {line.p99:.1f} | "
            f"{max(line.samples):.1f} |" for line in lines]
    return "\n".join(out)


# -- servers -----------------------------------------------------------------------------


def _pg_reachable(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def scratch_database(given: str | None) -> Iterator[str]:
    """The given database, or a fresh one on the local or embedded server (dropped after)."""
    if given is not None:
        yield given
        return
    name = f"ledger_bench_nats_{os.getpid()}"
    if _pg_reachable(LOCAL_PG):
        url = create_database(LOCAL_PG, name)
        try:
            yield url
        finally:
            with psycopg.connect(LOCAL_PG, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
        return
    folder = Path(tempfile.mkdtemp(prefix="ledger-bench-", dir="/tmp"))
    try:
        with EmbeddedPostgres(folder) as server:
            yield server.create_database("bench")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _local_nats_has_jetstream() -> bool:
    try:
        with socket.create_connection(LOCAL_NATS, timeout=1.0) as sock:
            line = sock.makefile("rb").readline(65536)
        return line.startswith(b"INFO ") and bool(json.loads(line[5:]).get("jetstream"))
    except (OSError, ValueError):
        return False


@contextmanager
def nats_server(given: str | None) -> Iterator[str]:
    """The given NATS, the local one with JetStream, or an embedded nats-server."""
    if given is not None:
        yield given
    elif _local_nats_has_jetstream():
        yield "nats://{}:{}".format(*LOCAL_NATS)
    else:
        folder = Path(tempfile.mkdtemp(prefix="ledger-bench-nats-", dir="/tmp"))
        try:
            with EmbeddedNats(folder) as server:
                yield server.url
        finally:
            shutil.rmtree(folder, ignore_errors=True)


class Streams:
    """Fresh stream names for this run; every stream made through it is deleted at the end."""

    def __init__(self, js: JetStreamContext, settings: Settings) -> None:
        self.js, self.settings = js, settings
        self.run = uuid.uuid4().hex[:8]
        self.made: list[str] = []

    async def fresh(self, case: str) -> Subjects:
        """A new stream (and its ingest and dead-letter siblings) in the publisher's config."""
        subjects = Subjects(prefix=f"bench_{self.run}_{case.lower()}",
                            stream=f"BENCH_{self.run.upper()}_{case.upper()}")
        await ensure_streams(self.js, subjects, self.settings)
        self.made += [subjects.stream, subjects.ingest_stream, subjects.dlq_stream]
        return subjects

    async def drop(self, subjects: Subjects) -> None:
        """Delete a case's streams now, so the server does not carry them into the next."""
        for name in (subjects.stream, subjects.ingest_stream, subjects.dlq_stream):
            if name in self.made:
                await self.js.delete_stream(name)
                self.made.remove(name)

    async def drop_all(self) -> None:
        """Delete what is left."""
        for name in list(self.made):
            await self.js.delete_stream(name)
            self.made.remove(name)


# -- the backlog -------------------------------------------------------------------------


def account_numbers(rng: random.Random, count: int) -> list[str]:
    """Distinct ten-digit account numbers."""
    numbers: set[str] = set()
    while len(numbers) < count:
        numbers.add(str(rng.randrange(1_000_000_000, 9_999_999_999)))
    return sorted(numbers)


def call(number: str) -> c.RecordInteraction:
    """The benchmark's command: an inbound call, one event on an opened account."""
    return c.RecordInteraction(account_number=number, channel=Channel.PHONE,
                               direction=Direction.INBOUND, occurred_at=NOW, summary=SUMMARY)


def write_backlog(services: Services, rng: random.Random, events: int) -> int:
    """About `events` events (an Opened and calls per account) in batches; returns the head."""
    numbers = account_numbers(rng, ACCOUNTS)
    written = 0
    while written < events:
        batch = [Request(call(n), "bench", NOW) for n in numbers[: events - written]]
        for result in services.ledger.execute_batch(batch):
            if isinstance(result, Exception):
                raise result
        written = services.ledger.recorder.max_notification_id() or 0
    return written


def set_position(services: Services, position: int) -> None:
    """Where the publisher starts."""
    with services.pool.connection() as conn:
        conn.execute("INSERT INTO projection_positions (name, position) VALUES (%s, %s)"
                     " ON CONFLICT (name) DO UPDATE SET position = excluded.position",
                     (NAME, position))


def read_all(follower: LogFollower) -> list[list[Outgoing]]:
    """The whole log as the publisher's batches (encoded for the default subjects)."""
    batches, after = [], 0
    while page := follower.read(after, PAGE):
        batches.append(outgoing(Subjects(), page))
        after = page[-1].position
    return batches


# -- throughput --------------------------------------------------------------------------


async def raw_round(js: JetStreamContext, streams: Streams, batches: list[list[Outgoing]],
                    round_: int) -> Rate:
    """The baseline: every message through a plain publish_async loop, then every ack."""
    subjects = await streams.fresh(f"raw{round_}")
    messages = [
        (subjects.prefix + m.subject[len(Subjects().prefix):], m.body,
         {MSG_ID: f"{round_}-{m.headers[MSG_ID]}"})
        for batch in batches for m in batch
    ]
    started = time.perf_counter()
    acks = [await js.publish_async(subject, body, headers=headers)
            for subject, body, headers in messages]
    await asyncio.gather(*acks)
    elapsed = time.perf_counter() - started
    await streams.drop(subjects)
    return Rate("raw nats-py publish_async loop", len(messages), elapsed)


async def publisher_round(services: Services, nc: Client, js: JetStreamContext,
                          streams: Streams, round_: int) -> Rate:
    """The publisher catching up on the whole backlog from position 0."""
    subjects = await streams.fresh(f"pub{round_}")
    await asyncio.to_thread(set_position, services, 0)
    follower = MessageFollower(services.ledger, services.url)
    publisher = NatsEventPublisher(services.pool, follower, js, subjects, client=nc)
    published = 0
    started = time.perf_counter()
    while stepped := await publisher.step():
        published += stepped
    elapsed = time.perf_counter() - started
    follower.close()
    await streams.drop(subjects)
    return Rate("NatsEventPublisher catch-up", published, elapsed,
                f"batches of {publisher.batch}, position recorded after each")


async def breakdown(services: Services, nc: Client, js: JetStreamContext,
                    streams: Streams) -> list[Rate]:
    """The publisher's parts alone: the read into messages (and the decoding read it replaces),
    and the send of ready batches."""
    subjects = await streams.fresh("parts")
    follower = MessageFollower(services.ledger, services.url)
    started = time.perf_counter()
    batches, after = [], 0
    while batch := follower.messages(subjects, after, PAGE):
        batches.append(batch)
        after = batch[-1].position
    read = Rate("  part: MessageFollower.messages (binary fetch, stored JSON reused)",
                sum(map(len, batches)), time.perf_counter() - started, f"pages of {PAGE}")
    started = time.perf_counter()
    after = 0
    while page := follower.read(after, PAGE):
        outgoing(subjects, page)
        after = page[-1].position
    decoded = Rate("  (instead: LogFollower.read + encode of decoded events)",
                   sum(map(len, batches)), time.perf_counter() - started, "not used")
    started = time.perf_counter()
    for batch in batches:
        await send(nc, js, batch)
    sent = Rate("  part: send ready batches (last message acked)", sum(map(len, batches)),
                time.perf_counter() - started, "with the order-guard header")
    follower.close()
    await streams.drop(subjects)
    return [read, decoded, sent]


# -- latency -----------------------------------------------------------------------------


@dataclass
class Timings:
    """When each command was submitted and committed, and when its event reached NATS."""

    submitted: dict[int, float] = field(default_factory=dict)
    committed: dict[int, float] = field(default_factory=dict)
    received: dict[int, float] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note_commit(self, submitted: float, future: Future[Outcome]) -> None:
        """Done-callback of a submitted command."""
        now = time.perf_counter()
        try:
            position = future.result().position
        except Exception as error:
            self.errors.append(error)
            return
        with self.lock:
            self.submitted[position], self.committed[position] = submitted, now


def pace(services: Services, numbers: list[str], rate: float, seconds: float,
         timings: Timings) -> float:
    """Submit one call every 1/rate s for `seconds`; returns the rate actually achieved."""
    count = int(rate * seconds)
    started = time.perf_counter()
    last = started
    for i in range(count):
        due = started + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        last = time.perf_counter()
        future = services.committer.submit(call(numbers[i % len(numbers)]), "bench", NOW)
        future.add_done_callback(functools.partial(timings.note_commit, last))
    return count / (last - started) if last > started else 0.0


async def latency_run(services: Services, url: str, js: JetStreamContext, streams: Streams,
                      settings: Settings, rate: float, seconds: float,
                      rng: random.Random) -> tuple[list[Latency], float]:
    """Paced appends with the publisher in its worker thread and a consumer listening."""
    subjects = await streams.fresh("latency")
    numbers = account_numbers(rng, ACCOUNTS)
    await asyncio.to_thread(write_backlog_once, services, numbers)
    await asyncio.to_thread(set_position, services, services.ledger.recorder.max_notification_id()
                            or 0)
    timings = Timings()

    async def on_message(msg: Msg) -> None:
        timings.received.setdefault(msgspec.json.decode(msg.data)["position"],
                                    time.perf_counter())

    sub = await js.subscribe(f"{subjects.prefix}.events.>", stream=subjects.stream,
                             cb=on_message, ordered_consumer=True,
                             deliver_policy=DeliverPolicy.NEW)
    stop = threading.Event()
    worker_settings = dataclasses.replace(settings, nats_stream=subjects.stream,
                                          nats_subject_prefix=subjects.prefix)
    thread = start_workers_thread(url, worker_settings, [services.publisher(worker_settings)],
                                  stop)
    try:
        await asyncio.to_thread(pace, services, numbers, rate, WARMUP_SECONDS, Timings())
        achieved = await asyncio.to_thread(pace, services, numbers, rate, seconds, timings)
        deadline = time.perf_counter() + DRAIN_SECONDS
        while time.perf_counter() < deadline and (
            len(timings.committed) < int(rate * seconds)
            or not set(timings.committed) <= set(timings.received)
        ):
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 15)
        await sub.unsubscribe()
    if timings.errors:
        raise RuntimeError(f"{len(timings.errors)} appends failed") from timings.errors[0]
    missing = set(timings.committed) - set(timings.received)
    if missing:
        raise RuntimeError(f"{len(missing)} events never reached the consumer")
    positions = sorted(timings.committed)
    ms = 1000.0
    lines = [
        Latency("append (submit → committed)",
                [(timings.committed[p] - timings.submitted[p]) * ms for p in positions]),
        Latency("committed → received by the consumer",
                [(timings.received[p] - timings.committed[p]) * ms for p in positions]),
        Latency("**append → received by the consumer**",
                [(timings.received[p] - timings.submitted[p]) * ms for p in positions]),
    ]
    await streams.drop(subjects)
    return lines, achieved


def write_backlog_once(services: Services, numbers: list[str]) -> None:
    """Open the latency run's accounts, so each paced command is one event."""
    for result in services.ledger.execute_batch([Request(call(n), "bench", NOW)
                                                 for n in numbers]):
        if isinstance(result, Exception):
            raise result


# -- main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nats", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--nats-url", help="a NATS server with JetStream (default: local)")
    parser.add_argument("--events", type=int, default=20_000,
                        help="events in the backlog (default 20000)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of each throughput case (default 3)")
    parser.add_argument("--rate", type=float, default=1000.0,
                        help="appends per second in the latency run (default 1000)")
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="length of the latency run (default 5)")
    return parser.parse_args(argv)


async def measure(args: argparse.Namespace, services: Services, nats_url: str,
                  settings: Settings) -> None:
    """Every case, then the tables."""
    rng = random.Random(SEED)
    head = await asyncio.to_thread(write_backlog, services, rng, args.events)
    follower = LogFollower(services.ledger, services.url)
    batches = await asyncio.to_thread(read_all, follower)
    follower.close()
    nc = await connect(nats_url, name="bench-nats")
    js = nc.jetstream()
    streams = Streams(js, settings)
    try:
        raw_rounds, publisher_rounds = [], []
        for round_ in range(args.rounds):
            raw_rounds.append(await raw_round(js, streams, batches, round_))
            publisher_rounds.append(await publisher_round(services, nc, js, streams, round_))
        parts = await breakdown(services, nc, js, streams)
        latencies, achieved = await latency_run(services, nats_url, js, streams, settings,
                                                args.rate, args.seconds, rng)
    finally:
        await streams.drop_all()
        server = nc.connected_server_version
        await nc.close()
    raw = median_round("raw nats-py publish_async loop", raw_rounds)
    published = median_round("**NatsEventPublisher catch-up**", publisher_rounds)
    sizes = [len(m.body) for batch in batches for m in batch]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nMachine: nproc {len(os.sched_getaffinity(0))}, {platform.machine()}, "
          f"Python {platform.python_version()}, load average {load}; NATS {server} at "
          f"{nats_url}; PostgreSQL at {_where(services.url)}.")
    print(f"Backlog: {head:,} events, JSON bodies {min(sizes)}–{max(sizes)} bytes "
          f"(median {statistics.median(sizes):.0f}); seed {SEED}.\n")
    print(throughput_table(raw, [published, *parts]))
    ratio = published.per_second / raw.per_second
    print(f"\nPublisher / raw: {ratio:.2f}× (target ≥ {TARGET_RATIO}×: "
          f"{'met' if ratio >= TARGET_RATIO else 'NOT met'}).\n")
    print(latency_table(latencies, f"{args.rate:,.0f} events/s for {args.seconds:g} s "
                                   f"(achieved {achieved:,.0f}/s)"))
    p99 = latencies[-1].p99
    print(f"\nAppend → consumer p99 {p99:.1f} ms (target < {TARGET_P99_MS:g} ms: "
          f"{'met' if p99 < TARGET_P99_MS else 'NOT met'}).")


def _where(url: str) -> str:
    info = psycopg.conninfo.conninfo_to_dict(url)
    return f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def main(argv: Sequence[str] | None = None) -> None:
    """Run every case and print the tables."""
    args = parse_args(argv)
    started = time.perf_counter()
    with ExitStack() as stack:
        url = stack.enter_context(scratch_database(args.database_url))
        nats_url = stack.enter_context(nats_server(args.nats_url))
        prepare_database(url)
        settings = load_settings()
        services = build(url, settings, pool_size=4)
        stack.callback(services.close)
        asyncio.run(measure(args, services, nats_url, settings))
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s.", file=sys.stderr)


if __name__ == "__main__":
    main()
