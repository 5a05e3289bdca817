"""A channel message is never lost when the database fails: it is retried until stored, once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from functools import partial

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.bootstrap import Services
from adapters.channels.consumer import IngestConsumer
from adapters.channels.registry import CHANNELS
from adapters.channels.replays import already_stored
from adapters.nats.streams import Subjects, connect
from adapters.nats.workers import start_workers_thread
from adapters.settings import Settings
from domain.values import Channel
from tests.conftest import NatsNames
from tests.integration.ingest_support import (
    FlakySink,
    drop_streams,
    for_account,
    fresh_account,
    ingest_settings,
    publish,
    settled,
    streams_ready,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(nats_names: NatsNames) -> Settings:
    return ingest_settings(nats_names, "outage")


@pytest.fixture(scope="module")
def sink(services: Services) -> FlakySink:
    return FlakySink(services.committer)


@pytest.fixture(scope="module")
async def js(nats_server_url: str, subjects: Subjects) -> AsyncIterator[JetStreamContext]:
    client = await connect(nats_server_url, name="ingest-outage-tests")
    yield client.jetstream()
    await drop_streams(client.jetstream(), subjects)
    await client.close()


@pytest.fixture(scope="module", autouse=True)
async def ingesting(
    services: Services, sink: FlakySink, settings: Settings, subjects: Subjects,
    nats_server_url: str, js: JetStreamContext,
) -> AsyncIterator[None]:
    """The phone consumer on the flaky sink, retrying after 0.2 s instead of 5."""
    consumer = IngestConsumer(CHANNELS["phone"], sink, partial(already_stored, services.ledger),
                              subjects, retry_delay=0.2)

    async def worker(_: Client, js: JetStreamContext, stop: asyncio.Event) -> None:
        await consumer.run(js, stop)

    stop = threading.Event()
    thread = start_workers_thread(nats_server_url, settings, [worker], stop)
    await streams_ready(js, subjects, ["phone"])
    yield
    stop.set()
    await asyncio.to_thread(thread.join, 15)


def call_ended(account: str) -> dict[str, object]:
    payload = next(e for e in CHANNELS["phone"].examples() if e["kind"] == "call_ended")
    return for_account(payload, account)


def stored_calls(services: Services, account: str) -> int:
    found = services.ledger.account(account)
    if found is None:
        return 0
    return sum(kind == "interaction" and channel is Channel.PHONE
               for kind, channel, _ in found.external_refs)


class TestDatabaseOutage:
    async def test_a_message_arriving_while_the_database_is_down_is_stored_later(
        self, js: JetStreamContext, subjects: Subjects, services: Services, sink: FlakySink
    ) -> None:
        account = fresh_account()
        sink.fail(2, after_store=False)
        calls = sink.calls

        await settled(js, subjects, "phone", await publish(js, subjects, "phone",
                                                           call_ended(account)))

        assert sink.calls - calls == 3
        assert stored_calls(services, account) == 1

    async def test_a_message_stored_but_not_acked_is_stored_once(
        self, js: JetStreamContext, subjects: Subjects, services: Services, sink: FlakySink
    ) -> None:
        account = fresh_account()
        sink.fail(1, after_store=True)
        before = services.ledger.recorder.max_notification_id() or 0

        await settled(js, subjects, "phone", await publish(js, subjects, "phone",
                                                           call_ended(account)))

        assert stored_calls(services, account) == 1
        opened_and_recorded = 2
        assert (services.ledger.recorder.max_notification_id() or 0) == \
            before + opened_and_recorded
