"""The ingest stream takes only the subjects a channel consumer reads: a message to any other
subject was kept where nothing would ever store or dead-letter it, and its sender never knew."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import NoStreamResponseError

from adapters.channels.registry import CHANNELS
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.settings import Settings
from tests.conftest import NatsNames
from tests.integration.ingest_support import drop_streams, ingest_settings

pytestmark = pytest.mark.integration

UNREAD = ("fax", "phone.extra")


@pytest.fixture
async def client(nats_server_url: str) -> AsyncIterator[Client]:
    nc = await connect(nats_server_url, name="ingest-subject-tests")
    yield nc
    await nc.close()


@asynccontextmanager
async def streams_of(
    js: JetStreamContext, settings: Settings, legacy: bool = False
) -> AsyncIterator[Subjects]:
    """This test's streams made by `ensure_streams`, over an ingest stream that took every
    ingest subject (`<prefix>.ingest.>`, as before) when `legacy`; dropped at the end."""
    subjects = Subjects.of(settings)
    if legacy:
        await js.add_stream(StreamConfig(name=subjects.ingest_stream,
                                         subjects=[f"{subjects.prefix}.ingest.>"]))
    try:
        await ensure_streams(js, subjects, settings)
        yield subjects
    finally:
        await drop_streams(js, subjects)


class TestIngestSubjects:
    @pytest.mark.parametrize("legacy", [False, True], ids=["created", "updated"])
    async def test_a_publish_to_a_subject_no_consumer_reads_fails_at_once(
        self, legacy: bool, client: Client, nats_names: NatsNames
    ) -> None:
        js = client.jetstream()
        settings = ingest_settings(nats_names, f"subjects_{int(legacy)}")
        async with streams_of(js, settings, legacy) as subjects:
            for token in UNREAD:
                with pytest.raises(NoStreamResponseError):
                    await js.publish(f"{subjects.prefix}.ingest.{token}", b"{}")

    @pytest.mark.parametrize("legacy", [False, True], ids=["created", "updated"])
    async def test_every_channel_subject_is_taken(
        self, legacy: bool, client: Client, nats_names: NatsNames
    ) -> None:
        js = client.jetstream()
        settings = ingest_settings(nats_names, f"channels_{int(legacy)}")
        async with streams_of(js, settings, legacy) as subjects:
            info = await js.stream_info(subjects.ingest_stream)
            assert sorted(info.config.subjects or []) == sorted(
                subjects.ingest(name) for name in CHANNELS)
            for name in CHANNELS:
                ack = await js.publish(subjects.ingest(name), b"{}")
                assert ack.stream == subjects.ingest_stream
