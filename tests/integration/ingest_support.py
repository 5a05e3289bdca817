"""Helpers of the ingest tests: this run's names, publishing, waiting for a message to settle."""

from __future__ import annotations

import asyncio
import random
import time
from concurrent.futures import Future
from dataclasses import replace
from datetime import datetime
from typing import Any

import msgspec
import psycopg
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from adapters.group_commit import GroupCommitter
from adapters.nats.streams import Subjects
from adapters.settings import Settings, load_settings
from domain.commands import Command
from domain.ledger import Outcome
from tests.conftest import NatsNames


def ingest_settings(names: NatsNames, suffix: str) -> Settings:
    """This run's stream and prefix, with a suffix of the module's own: the e2e suite's
    `ledger serve` consumes the run's own ingest subjects with the same durable names, and owns
    the streams `<stream>`, `<stream>_INGEST` and `<stream>_DLQ` (so no suffix `INGEST`/`DLQ`)."""
    return replace(load_settings(), nats_stream=f"{names.stream}_{suffix.upper()}",
                   nats_subject_prefix=f"{names.subject_prefix}_{suffix}")


def fresh_account() -> str:
    """An account number no other test uses."""
    return str(random.randrange(10**11, 10**12))


def for_account(payload: dict[str, Any], account: str) -> dict[str, Any]:
    """The example addressed to another account (the same ids are then new for the ledger)."""
    return {**payload, "accountNumber": account} if "accountNumber" in payload else payload


async def publish(js: JetStreamContext, subjects: Subjects, channel: str,
                  body: dict[str, Any] | bytes) -> int:
    """Send a message as a channel system does; its sequence in the ingest stream."""
    data = body if isinstance(body, bytes) else msgspec.json.encode(body)
    ack = await js.publish(subjects.ingest(channel), data, stream=subjects.ingest_stream)
    return int(ack.seq)


async def settled(js: JetStreamContext, subjects: Subjects, channel: str, seq: int,
                  timeout: float = 20.0) -> None:
    """Wait until the channel's consumer has acked everything up to `seq`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await js.consumer_info(subjects.ingest_stream, f"ledger-ingest-{channel}")
        if info.ack_floor is not None and (info.ack_floor.stream_seq or 0) >= seq:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{channel} message {seq} was not acked within {timeout} s")


async def streams_ready(js: JetStreamContext, subjects: Subjects, channels: list[str]) -> None:
    """Wait until the workers have created the streams and their consumers."""
    for _ in range(500):
        try:
            for channel in channels:
                await js.consumer_info(subjects.ingest_stream, f"ledger-ingest-{channel}")
            return
        except Exception:
            await asyncio.sleep(0.02)
    raise AssertionError("the ingest consumers did not start")


async def drop_streams(js: JetStreamContext, subjects: Subjects) -> None:
    """Leave the server as found."""
    for stream in (subjects.stream, subjects.ingest_stream, subjects.dlq_stream):
        await js.delete_stream(stream)


async def last_dead_letter(js: JetStreamContext, subjects: Subjects, channel: str) -> RawStreamMsg:
    """The newest message of the channel's dead-letter subject."""
    return await js.get_last_msg(subjects.dlq_stream, subjects.dlq(channel))


class FlakySink:
    """The group committer failing its next commands as if the database were unreachable:
    before storing them, or after (the commit went through but the answer was lost)."""

    def __init__(self, committer: GroupCommitter) -> None:
        self.committer = committer
        self.failures = 0
        self.after_store = False
        self.calls = 0

    def fail(self, times: int, *, after_store: bool) -> None:
        """Arm the next `times` submissions to fail."""
        self.failures, self.after_store = times, after_store

    def submit(self, command: Command, actor: str, now: datetime) -> Future[Outcome]:
        """Queue the command, unless armed to fail."""
        self.calls += 1
        if self.failures <= 0:
            return self.committer.submit(command, actor, now)
        self.failures -= 1
        if self.after_store:
            self.committer.execute(command, actor, now)
        failed: Future[Outcome] = Future()
        failed.set_exception(psycopg.OperationalError("server closed the connection"))
        return failed
