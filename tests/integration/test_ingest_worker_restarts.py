"""A worker that fails is logged once and started again: a channel consumer that died on one
message stayed dead while the process looked healthy, logging its failure five times a second."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.nats.streams import Subjects, connect
from adapters.nats.workers import Worker, start_workers_thread
from adapters.settings import Settings
from tests.conftest import NatsNames
from tests.integration.ingest_support import drop_streams, ingest_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def settings(nats_names: NatsNames) -> Settings:
    return ingest_settings(nats_names, "restarts")


@pytest.fixture(scope="module", autouse=True)
async def streams_dropped(nats_server_url: str, settings: Settings) -> AsyncIterator[None]:
    """The workers' process makes this module's streams; they are dropped at the end."""
    yield
    client = await connect(nats_server_url, name="worker-restart-tests")
    await drop_streams(client.jetstream(), Subjects.of(settings))
    await client.close()


@pytest.fixture
def failures(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.ERROR, logger="ledger.nats"):
        yield caplog


def failed_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "nats worker failed"]


def failing(times: int, runs: list[float]) -> Worker:
    """A worker failing its first `times` runs, then working until stopped."""

    async def worker(_: Client, __: JetStreamContext, stop: asyncio.Event) -> None:
        runs.append(time.monotonic())
        if len(runs) <= times:
            raise RuntimeError(f"run {len(runs)} failed")
        await stop.wait()

    return worker


def wait_until(check: list[float], count: int, timeout: float) -> None:
    """Until `check` holds `count` entries (generous bounds: this only waits)."""
    deadline = time.monotonic() + timeout
    while len(check) < count and time.monotonic() < deadline:
        time.sleep(0.05)


class TestRestarts:
    def test_a_failed_worker_is_logged_once_and_started_again(
        self, nats_server_url: str, settings: Settings, failures: pytest.LogCaptureFixture
    ) -> None:
        runs: list[float] = []
        stop = threading.Event()
        thread = start_workers_thread(nats_server_url, settings, [failing(1, runs)], stop)

        wait_until(runs, 2, timeout=15)
        time.sleep(1.0)  # a failure logged again and again would show by now
        stop.set()
        thread.join(timeout=10)

        assert not thread.is_alive()
        assert len(runs) == 2
        [line] = failed_lines(failures)
        assert line.exc_info is not None and "run 1 failed" in str(line.exc_info[1])

    def test_restarts_back_off_and_a_stop_while_waiting_ends_at_once(
        self, nats_server_url: str, settings: Settings, failures: pytest.LogCaptureFixture
    ) -> None:
        runs: list[float] = []
        stop = threading.Event()
        thread = start_workers_thread(nats_server_url, settings, [failing(100, runs)], stop)

        wait_until(runs, 3, timeout=20)
        stopped = time.monotonic()
        stop.set()
        thread.join(timeout=10)

        assert not thread.is_alive()
        assert time.monotonic() - stopped < 5  # not the next delay of the backoff
        assert len(runs) == 3 and len(failed_lines(failures)) == 3
        first, second = runs[1] - runs[0], runs[2] - runs[1]
        assert first >= 0.8 and second >= 1.8  # a pause before each restart, doubling
