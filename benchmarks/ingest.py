"""Channel ingest rate from a prepared JetStream backlog, next to raw nats-py in the same run.

    python -m benchmarks.ingest [--messages N] [--accounts A] [--database-url URL] [--nats-url URL]

A backlog of N phone `call_ended` messages over A accounts is published to the ingest subject
once; then each case drains the same backlog with its own durable consumer and is timed until
the consumer's ack floor reaches the last message:

- raw nats-py: pull fetch + ack, nothing else (the baseline);
- the ingest consumer with a sink that stores nothing: fetch, decode, map, ack;
- the group committer alone: the same commands (for other accounts), submitted in batches of
  the consumer's size, no NATS;
- the ingest consumer end to end: fetch, decode, map, store in PostgreSQL, ack.

Without --database-url it uses a scratch database like benchmarks.append; without --nats-url the
machine's NATS on 4222 when it has JetStream, else an embedded nats-server in a temporary folder.
Its streams are named after the process and deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future
from contextlib import ExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import msgspec
import nats
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError

from adapters.bootstrap import Services, build, prepare_database
from adapters.channels.consumer import BATCH, IngestConsumer
from adapters.channels.registry import CHANNELS
from adapters.channels.replays import already_stored
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.settings import Settings, load_settings
from api.logs import configure_logging
from benchmarks.append import machine, scratch_database
from domain.commands import Command
from domain.ledger import Outcome

CHANNEL = "phone"
MACHINE_NATS = "nats://127.0.0.1:4222"
PUBLISH_WINDOW = 1000


@dataclass(frozen=True)
class Measured:
    """One line of the table."""

    case: str
    messages: int
    seconds: float

    @property
    def rate(self) -> float:
        """Messages per second."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


def backlog(count: int, accounts: int, first_account: int) -> list[bytes]:
    """`count` call_ended messages, round-robin over `accounts` accounts, each its own id."""
    template = next(e for e in CHANNELS[CHANNEL].examples() if e["kind"] == "call_ended")
    encoder = msgspec.json.Encoder()
    return [
        encoder.encode({**template, "messageId": f"bench-{first_account}-{i}",
                        "callId": f"bench-call-{i}",
                        "accountNumber": str(first_account + i % accounts)})
        for i in range(count)
    ]


class NullSink:
    """Takes commands and stores nothing: the consumer's own cost, without the database."""

    def submit(self, command: Command, actor: str, now: datetime) -> Future[Outcome]:
        """An outcome at once."""
        done: Future[Outcome] = Future()
        done.set_result(Outcome(position=0, account_number=""))
        return done


async def publish_backlog(js: JetStreamContext, subjects: Subjects, bodies: list[bytes]) -> int:
    """Publish the backlog with a window of acks in flight; the last sequence."""
    last = 0
    for start in range(0, len(bodies), PUBLISH_WINDOW):
        acks = [await js.publish_async(subjects.ingest(CHANNEL), body)
                for body in bodies[start:start + PUBLISH_WINDOW]]
        last = max(int(ack.seq) for ack in await asyncio.gather(*acks))
    return last


async def until_acked(js: JetStreamContext, stream: str, durable: str, last: int) -> None:
    """Wait until the consumer's ack floor reaches the last message of the backlog."""
    while True:
        try:
            info = await js.consumer_info(stream, durable)
        except NotFoundError:  # not created yet
            info = None
        if info is not None and info.ack_floor is not None \
                and (info.ack_floor.stream_seq or 0) >= last:
            return
        await asyncio.sleep(0.01)


async def raw_case(js: JetStreamContext, subjects: Subjects, last: int, total: int) -> Measured:
    """nats-py alone: pull fetch of BATCH, ack each, until the ack floor reaches the end."""
    durable = "bench-raw"
    sub = await js.pull_subscribe(
        subjects.ingest(CHANNEL), durable=durable, stream=subjects.ingest_stream,
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, max_ack_pending=4 * BATCH),
    )
    started = time.perf_counter()
    seen = 0
    while seen < total:
        for msg in await sub.fetch(BATCH, timeout=5):
            await msg.ack()
            seen += 1
    await until_acked(js, subjects.ingest_stream, durable, last)
    elapsed = time.perf_counter() - started
    await sub.unsubscribe()
    return Measured(f"raw nats-py pull fetch({BATCH}) + ack", total, elapsed)


async def consumer_case(
    name: str, js: JetStreamContext, consumer: IngestConsumer, last: int, total: int
) -> Measured:
    """Run an ingest consumer from the start of the backlog until it has acked all of it."""
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(consumer.run(js, stop))
    await until_acked(js, consumer.subjects.ingest_stream, consumer.durable, last)
    elapsed = time.perf_counter() - started
    stop.set()
    await task
    await js.delete_consumer(consumer.subjects.ingest_stream, consumer.durable)
    return Measured(name, total, elapsed)


async def committer_case(services: Services, commands: list[Command]) -> Measured:
    """The group committer alone, fed as the consumer feeds it: batches of BATCH, the next
    one submitted before the previous one is awaited."""
    started = time.perf_counter()
    previous: list[Future[Outcome]] = []
    for start in range(0, len(commands), BATCH):
        now = datetime.now(UTC)
        futures = [services.committer.submit(cmd, "bench", now)
                   for cmd in commands[start:start + BATCH]]
        await asyncio.gather(*(asyncio.wrap_future(f) for f in previous))
        previous = futures
    await asyncio.gather(*(asyncio.wrap_future(f) for f in previous))
    elapsed = time.perf_counter() - started
    return Measured(f"group committer alone, {BATCH} a batch, 2 in flight (no NATS)",
                    len(commands), elapsed)


def to_commands(bodies: list[bytes]) -> list[Command]:
    """What the consumer would submit for these messages."""
    adapter = CHANNELS[CHANNEL]
    return [cmd for body in bodies for cmd in adapter.to_commands(adapter.decode(body))]


@asynccontextmanager
async def jetstream(url: str | None, settings: Settings) -> AsyncIterator[JetStreamContext]:
    """A connection to the given, machine or embedded NATS, with this run's streams."""
    with ExitStack() as stack:
        url = url or await _machine_or_embedded(stack)
        client = await connect(url, name="bench-ingest")
        js = client.jetstream()
        subjects = Subjects.of(settings)
        await ensure_streams(js, subjects, settings)
        try:
            yield js
        finally:
            for stream in (subjects.stream, subjects.ingest_stream, subjects.dlq_stream):
                await js.delete_stream(stream)
            await client.close()


async def _machine_or_embedded(stack: ExitStack) -> str:
    try:
        client = await nats.connect(MACHINE_NATS, connect_timeout=1, allow_reconnect=False,
                                    max_reconnect_attempts=0)
        await client.jetstream().account_info()
        await client.close()
        return MACHINE_NATS
    except Exception:
        from adapters.embedded import EmbeddedNats

        folder = Path(tempfile.mkdtemp(prefix="ledger-bench-nats-"))
        stack.callback(shutil.rmtree, folder, True)
        return stack.enter_context(EmbeddedNats(folder)).url


def markdown(lines: list[Measured]) -> str:
    """case | messages | seconds | messages/s | × raw | × committer alone."""
    raw, store = lines[0], lines[2]
    rows = ["| case | messages | seconds | messages/s | × raw fetch+ack | × committer alone |",
            "|---|---:|---:|---:|---:|---:|"]
    for line in lines:
        rows.append(f"| {line.case} | {line.messages:,} | {line.seconds:.2f} | "
                    f"{line.rate:,.0f} | {line.rate / raw.rate:.3f}× | "
                    f"{line.rate / store.rate:.2f}× |")
    return "\n".join(rows)


async def run(args: argparse.Namespace, services: Services, settings: Settings) -> None:
    """Prepare the backlog, run the four cases, print the table."""
    say: Callable[[Measured], None] = lambda m: print(  # noqa: E731
        f"  {m.case}: {m.messages:,} in {m.seconds:.2f} s = {m.rate:,.0f}/s", file=sys.stderr)
    bodies = backlog(args.messages, args.accounts, first_account=7_000_000_000)
    async with jetstream(args.nats_url, settings) as js:
        subjects = Subjects.of(settings)
        started = time.perf_counter()
        last = await publish_backlog(js, subjects, bodies)
        print(f"backlog: {len(bodies):,} messages published in "
              f"{time.perf_counter() - started:.2f} s", file=sys.stderr)
        lines = [await raw_case(js, subjects, last, len(bodies))]
        say(lines[-1])
        nothing = IngestConsumer(CHANNELS[CHANNEL], NullSink(), lambda _: False, subjects)
        lines.append(await consumer_case("ingest consumer, stores nothing (decode + map + ack)",
                                         js, nothing, last, len(bodies)))
        say(lines[-1])
        others = to_commands(backlog(args.messages, args.accounts, first_account=8_000_000_000))
        lines.append(await committer_case(services, others))
        say(lines[-1])
        real = IngestConsumer(CHANNELS[CHANNEL], services.committer,
                              partial(already_stored, services.ledger), subjects)
        head = services.ledger.recorder.max_notification_id() or 0
        lines.append(await consumer_case("ingest end to end (fetch, decode, map, store, ack)",
                                         js, real, last, len(bodies)))
        say(lines[-1])
        stored = (services.ledger.recorder.max_notification_id() or 0) - head
    print(f"\nMachine: {machine(services.url)}")
    print(f"Backlog: {len(bodies):,} phone call_ended messages over {args.accounts:,} accounts; "
          f"the end-to-end case stored {stored:,} events "
          f"({args.accounts:,} of them account openings).\n")
    print(markdown(lines))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=50_000, help="backlog size (50000)")
    parser.add_argument("--accounts", type=int, default=1_000, help="accounts (1000)")
    parser.add_argument("--database-url", help="a scratch database (default: a fresh one)")
    parser.add_argument("--nats-url", help="a NATS with JetStream (default: machine/embedded)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark."""
    args = parse_args(argv)
    configure_logging("WARNING")
    suffix = f"bench_{os.getpid()}"
    settings = replace(load_settings(), nats_stream=f"LEDGER_{suffix.upper()}",
                       nats_subject_prefix=f"ledger_{suffix}")
    started = time.perf_counter()
    with scratch_database(args.database_url) as url:
        prepare_database(url)
        services = build(url, settings)
        try:
            asyncio.run(run(args, services, settings))
        finally:
            services.close()
    print(f"\nTotal run time {time.perf_counter() - started:.0f} s.")


if __name__ == "__main__":
    main()
