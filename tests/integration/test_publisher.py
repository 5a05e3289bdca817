"""The NATS publisher on a real NATS server and PostgreSQL: every event once, in log order.

Each test publishes to a stream of its own (this run's names plus a suffix) and points the
publisher's position at the log's head first, so it sees only the events it writes itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import random
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone
from typing import Any

import msgspec
import nats
import pytest
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from psycopg import Connection

from adapters.bootstrap import Services, build, prepare_database
from adapters.embedded import EmbeddedNats
from adapters.follower import LogFollower
from adapters.nats.messages import event_id
from adapters.nats.publisher import NAME, NatsEventPublisher
from adapters.nats.sending import MSG_ID
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.nats.workers import start_workers_thread
from adapters.projector import lock_position, position_of
from adapters.settings import Settings, load_settings
from domain import commands as c
from domain.ledger import Outcome
from domain.values import AppealType, Channel, Direction
from projections.base import LoggedEvent
from tests.conftest import NatsNames

pytestmark = pytest.mark.integration

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
WAIT = 20.0
"""The longest any one wait may take before the test fails."""
SETTLE = 0.5
"""How long a consumer keeps listening after the expected count: a duplicate would show here."""


# -- arranging ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger on this run's database; each test runs its own publisher."""
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=4)
    yield built
    built.close()


def settings_for(names: NatsNames, case: str) -> Settings:
    """This run's stream and subject prefix with a suffix, so tests never share messages."""
    return dataclasses.replace(
        load_settings(), nats_stream=f"{names.stream}_{case.upper()}",
        nats_subject_prefix=f"{names.subject_prefix}_{case.lower()}",
    )


@contextlib.asynccontextmanager
async def jetstream(
    url: str, settings: Settings, delete: bool = True
) -> AsyncIterator[JetStreamContext]:
    """A client with the streams in place; the streams are deleted afterwards unless kept."""
    client = await connect(url, name="publisher-test")
    js = client.jetstream()
    subjects = Subjects.of(settings)
    await ensure_streams(js, subjects, settings)
    try:
        yield js
    finally:
        if delete and client.is_connected:
            for stream in (subjects.stream, subjects.ingest_stream, subjects.dlq_stream):
                with contextlib.suppress(nats.errors.Error):
                    await js.delete_stream(stream)
        await client.close()


def publish_from_head(services: Services) -> int:
    """Point the publisher at the log's head: a fresh stream gets only the events after it."""
    head = services.ledger.recorder.max_notification_id() or 0
    with services.pool.connection() as conn, conn.transaction():
        lock_position(conn, NAME)
        conn.execute("UPDATE projection_positions SET position = %s WHERE name = %s",
                     (head, NAME))
    return head


@contextlib.contextmanager
def publisher_running(services: Services, url: str, settings: Settings) -> Iterator[None]:
    """The publisher as `ledger serve` runs it: a worker thread with its own event loop."""
    stop = threading.Event()
    thread = start_workers_thread(url, settings, [services.publisher(settings)], stop)
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=WAIT)
        assert not thread.is_alive(), "the publisher did not stop"


def new_account_number() -> str:
    return f"{random.randrange(10**9, 10**10)}"


def call(account: str, summary: str) -> c.RecordInteraction:
    return c.RecordInteraction(
        account_number=account, channel=Channel.PHONE, direction=Direction.INBOUND,
        occurred_at=T0, summary=summary)


def appeal(account: str) -> c.RegisterAppeal:
    return c.RegisterAppeal(
        account_number=account, channel=Channel.MAIL, type=AppealType.COMPLAINT,
        received_at=T0, subject="Счёт за февраль", text="Прошу пересчитать")


def write(services: Services, commands: list[c.Command]) -> list[Outcome]:
    """Submit every command at once (the group committer batches them) and wait for all."""
    futures = [services.committer.submit(command, "operator-1", T0) for command in commands]
    return [future.result(timeout=WAIT) for future in futures]


def logged_after(services: Services, position: int) -> list[LoggedEvent]:
    """The log after `position`, as the publisher reads it."""
    follower = LogFollower(services.ledger, services.url)
    try:
        return follower.read(position, limit=1_000_000)
    finally:
        follower.close()


async def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll a blocking condition off the event loop until it holds, or fail naming it."""
    deadline = time.monotonic() + WAIT
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {WAIT:g} s waiting until {what}")
        await asyncio.sleep(0.05)


def published_up_to(services: Services, position: int) -> Callable[[], bool]:
    return lambda: position_of(services.pool, NAME) >= position


# -- consuming and checking --------------------------------------------------------------


async def ordered_consumer_reads(js: JetStreamContext, subjects: Subjects, count: int) -> list[Msg]:
    """Everything on the stream from its start through an ordered consumer: `count` messages
    and whatever else arrives within SETTLE after them."""
    sub = await js.subscribe(f"{subjects.prefix}.events.>", stream=subjects.stream,
                             ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
    try:
        return await _drain(sub.next_msg, count)
    finally:
        await sub.unsubscribe()


async def _drain(next_msg: Callable[..., Any], count: int) -> list[Msg]:
    received: list[Msg] = []
    deadline = time.monotonic() + WAIT
    while len(received) < count and time.monotonic() < deadline:
        with contextlib.suppress(TimeoutError):
            received.append(await next_msg(timeout=0.5))
    with contextlib.suppress(TimeoutError):
        while True:
            received.append(await next_msg(timeout=SETTLE))
    return received


async def durable_consumer_reads(
    js: JetStreamContext, subjects: Subjects, durable: str, count: int
) -> list[Msg]:
    """Fetch (and ack) from a durable pull consumer until `count` came and then nothing more."""
    sub = await js.pull_subscribe_bind(durable, stream=subjects.stream)
    received: list[Msg] = []
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            batch = await sub.fetch(batch=500, timeout=SETTLE)
        except TimeoutError:  # nats-py raises asyncio's and its own
            if len(received) >= count:
                break
            continue
        for msg in batch:
            await msg.ack()
        received.extend(batch)
    await sub.unsubscribe()
    return received


def assert_each_event_once_in_order(
    received: list[Msg], expected: list[LoggedEvent], subjects: Subjects
) -> None:
    """The consumer saw exactly the logged events: none missing, none twice, in log order."""
    bodies = [msgspec.json.decode(msg.data) for msg in received]
    positions = [body["position"] for body in bodies]
    twice = sorted(p for p, n in Counter(positions).items() if n > 1)
    missing = sorted({e.position for e in expected} - set(positions))
    assert not twice, f"delivered more than once: positions {twice}"
    assert not missing, f"never delivered: positions {missing} of {len(expected)}"
    assert positions == [e.position for e in expected], "not in log order"
    seen = [
        (msg.subject, (msg.headers or {}).get(MSG_ID), body["id"], body["type"],
         body["accountNumber"], body["streamId"], body["version"], body["position"])
        for msg, body in zip(received, bodies, strict=True)
    ]
    wanted = [
        (f"{subjects.prefix}.events.{e.event.originator_id}.{e.type}", str(event_id(e)),
         str(event_id(e)), e.type, e.account_number, str(e.event.originator_id),
         e.event.originator_version, e.position)
        for e in expected
    ]
    assert seen == wanted


# -- the tests ---------------------------------------------------------------------------


class TestPublishing:
    async def test_every_event_reaches_a_consumer_once_in_log_order(
        self, services: Services, nats_server_url: str, nats_names: NatsNames
    ) -> None:
        # Arrange: a consumer listening before anything is written, and the publisher running.
        settings = settings_for(nats_names, "order")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        accounts = [new_account_number() for _ in range(4)]
        commands: list[c.Command] = [
            command for n, account in enumerate(accounts)
            for command in (call(account, f"Звонок {n}"), appeal(account),
                            call(account, f"Повторный звонок {n}"))
        ]
        async with jetstream(nats_server_url, settings) as js:
            listening = asyncio.create_task(ordered_consumer_reads(js, subjects, 4 * 4))
            try:
                with publisher_running(services, nats_server_url, settings):
                    # Act: writes through the group committer, several accounts interleaved.
                    outcomes = await asyncio.to_thread(write, services, commands)
                    head = max(o.position for o in outcomes)
                    await wait_until(published_up_to(services, head),
                                     f"position {head} is recorded")
                    received = await listening
            finally:
                listening.cancel()
            info = await js.stream_info(subjects.stream)

        # Assert: each account opened, called, appealed, called again; each event once.
        expected = await asyncio.to_thread(logged_after, services, start)
        assert len(expected) == 4 * 4, [e.type for e in expected]
        assert Counter(e.type for e in expected) == {
            "Opened": 4, "InteractionRecorded": 8, "AppealRegistered": 4}
        assert_each_event_once_in_order(received, expected, subjects)
        assert info.state.messages == len(expected)
        assert await asyncio.to_thread(position_of, services.pool, NAME) == expected[-1].position


class CrashError(Exception):
    """The process dies between JetStream's acks and the position record."""


class TestCrashBetweenPublishAndRecord:
    async def test_an_acknowledged_batch_is_found_on_the_stream_not_sent_again(
        self, services: Services, nats_server_url: str, nats_names: NatsNames,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Arrange: 30 events in the log, a publisher whose first position record fails.
        settings = settings_for(nats_names, "crash")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        accounts = [new_account_number() for _ in range(3)]
        await asyncio.to_thread(write, services, [
            call(account, f"Звонок {i}") for i in range(5) for account in accounts])
        expected = await asyncio.to_thread(logged_after, services, start)
        follower = LogFollower(services.ledger, services.url)
        async with jetstream(nats_server_url, settings) as js:
            publisher = NatsEventPublisher(services.pool, follower, js, subjects)
            record = publisher._record
            crashes = [CrashError("killed after the acks, before the position record")]

            def record_unless_crashing(conn: Connection[Any], position: int) -> None:
                if crashes:
                    raise crashes.pop()
                record(conn, position)

            monkeypatch.setattr(publisher, "_record", record_unless_crashing)

            # Act: the batch is acknowledged but its position never recorded; then run again
            # (a republish the stream cannot vouch for: test_publisher_chain.py).
            with pytest.raises(CrashError):
                await publisher.step()
            after_crash = await js.stream_info(subjects.stream)
            position_after_crash = await asyncio.to_thread(position_of, services.pool, NAME)
            client, sent_again = js._nc, []
            publish = client.publish

            async def noting(subject: str, *args: Any, **kwargs: Any) -> None:
                sent_again.append(subject)
                await publish(subject, *args, **kwargs)

            monkeypatch.setattr(client, "publish", noting)
            republished = await publisher.step()
            caught_up = await publisher.step()
            info = await js.stream_info(subjects.stream)
            received = await ordered_consumer_reads(js, subjects, len(expected))
        follower.close()

        # Assert: stored once, the position caught up, the consumer sees no duplicate.
        assert len(expected) == 3 + 15
        assert (after_crash.state.messages, position_after_crash) == (len(expected), start)
        assert (republished, caught_up) == (len(expected), 0)
        assert not [s for s in sent_again if s.startswith(f"{subjects.prefix}.events.")]
        assert (info.state.messages, info.state.last_seq) == (len(expected), len(expected))
        assert await asyncio.to_thread(position_of, services.pool, NAME) == expected[-1].position
        assert_each_event_once_in_order(received, expected, subjects)


class Writer:
    """Writes calls through the group committer in a thread, a burst every few milliseconds."""

    def __init__(self, services: Services, burst: int = 5, every: float = 0.005) -> None:
        self.services, self.burst, self.every = services, burst, every
        self.accounts = [new_account_number() for _ in range(20)]
        self.outcomes: list[Outcome] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test-writer", daemon=True)

    def __enter__(self) -> Writer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=WAIT)

    @property
    def written(self) -> int:
        return len(self.outcomes)

    def _run(self) -> None:
        n = 0
        while not self._stop.is_set():
            futures: list[Future[Outcome]] = []
            for _ in range(self.burst):
                n += 1
                command = call(self.accounts[n % len(self.accounts)], f"Звонок {n}")
                futures.append(self.services.committer.submit(command, "operator-1", T0))
            for future in futures:
                try:
                    self.outcomes.append(future.result(timeout=WAIT))
                except Exception as error:
                    self.errors.append(error)
            time.sleep(self.every)


class TestNatsOutage:
    async def test_events_written_while_nats_is_down_arrive_in_order_once(
        self, services: Services, embedded_nats: EmbeddedNats, nats_names: NatsNames
    ) -> None:
        # Arrange: a private NATS server, a durable consumer, the publisher and a busy writer.
        settings = settings_for(nats_names, "outage")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        async with jetstream(embedded_nats.url, settings, delete=False) as js:
            await js.add_consumer(subjects.stream, ConsumerConfig(
                durable_name="outage", deliver_policy=DeliverPolicy.ALL,
                ack_policy=AckPolicy.EXPLICIT, filter_subject=f"{subjects.prefix}.events.>"))
        with publisher_running(services, embedded_nats.url, settings):
            with Writer(services) as writer:
                await wait_until(published_up_to(services, start + 50), "50 events are published")

                # Act: NATS goes away while the writes go on, then comes back on the same port.
                await asyncio.to_thread(embedded_nats.stop)
                before_outage = writer.written
                await asyncio.sleep(2.0)
                during_outage = writer.written - before_outage
                published_during_outage = await asyncio.to_thread(position_of, services.pool, NAME)
                await asyncio.sleep(0.5)
                unchanged = await asyncio.to_thread(position_of, services.pool, NAME)
                await asyncio.to_thread(embedded_nats.start)
                await asyncio.sleep(1.0)
            assert not writer.errors, f"writes failed while NATS was down: {writer.errors[:3]}"
            head = max(o.position for o in writer.outcomes)
            await wait_until(published_up_to(services, head), f"position {head} is recorded")
        async with jetstream(embedded_nats.url, settings) as js:
            expected = await asyncio.to_thread(logged_after, services, start)
            durable = await durable_consumer_reads(js, subjects, "outage", len(expected))
            ordered = await ordered_consumer_reads(js, subjects, len(expected))
            info = await js.stream_info(subjects.stream)

        # Assert: writes went on without NATS; afterwards every event arrived once, in order.
        assert during_outage > 50, f"only {during_outage} writes while NATS was down"
        assert published_during_outage == unchanged, "the position moved while NATS was down"
        assert expected[-1].position == head
        assert_each_event_once_in_order(durable, expected, subjects)
        assert_each_event_once_in_order(ordered, expected, subjects)
        assert info.state.messages == len(expected)


class TestNatsDyingMidBatch:
    async def test_a_batch_cut_by_a_dying_server_still_lands_in_order(
        self, services: Services, embedded_nats: EmbeddedNats, nats_names: NatsNames,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Arrange: a backlog of ~4 KB events, so one batch outgrows nats-py's 2 MB reconnect
        # buffer, and a server that dies at the 100th message of the first batch.
        settings = settings_for(nats_names, "midbatch")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        accounts = [new_account_number() for _ in range(50)]
        details = "Клиент продиктовал показания и подробно описал начисления. " * 35
        await asyncio.to_thread(write, services, [
            call(account, f"{i}. {details}") for i in range(24) for account in accounts])
        expected = await asyncio.to_thread(logged_after, services, start)
        follower = LogFollower(services.ledger, services.url)
        async with jetstream(embedded_nats.url, settings, delete=False) as js:
            client = js._nc
            publish = client.publish
            sent = [0]

            async def dying_publish(*args: Any, **kwargs: Any) -> Any:
                sent[0] += 1
                if sent[0] == 100:
                    embedded_nats.stop()  # blocks this loop: the client notices only later
                return await publish(*args, **kwargs)

            monkeypatch.setattr(client, "publish", dying_publish)
            stop = asyncio.Event()
            running = asyncio.create_task(
                NatsEventPublisher(services.pool, follower, js, subjects).run(stop))

            # Act: the server comes back a second later on the same port and store.
            await wait_until(lambda: sent[0] >= 100, "the server is stopped mid-batch")
            await asyncio.sleep(1.0)
            await asyncio.to_thread(embedded_nats.start)
            last = expected[-1].position
            await wait_until(published_up_to(services, last), f"position {last} is recorded")
            stop.set()
            await asyncio.wait_for(running, WAIT)
            received = await ordered_consumer_reads(js, subjects, len(expected))
            info = await js.stream_info(subjects.stream)
        follower.close()

        # Assert: nothing lost with the dead socket, nothing reordered by the client's buffer.
        assert len(expected) == 50 + 24 * 50
        assert sum(len(m.data) for m in received[:1000]) > 2 * 1024 * 1024, "a small batch"
        assert_each_event_once_in_order(received, expected, subjects)
        assert info.state.messages == len(expected)
