"""The JetStream streams of the ledger: events out, channel messages in, dead letters."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from adapters.channels.registry import CHANNELS
from adapters.settings import Settings

log = logging.getLogger("ledger.nats")

DAY = 86_400.0


@dataclass(frozen=True)
class Subjects:
    """Subject and stream names; a prefix and stream name per deployment (or test run)."""

    prefix: str = "ledger"
    stream: str = "LEDGER"

    def event(self, stream_id: str, event_type: str) -> str:
        """ledger.events.<account-stream-id>.<EventType> (API.md)."""
        return f"{self.prefix}.events.{stream_id}.{event_type}"

    def ingest(self, channel: str) -> str:
        """ledger.ingest.<channel>: where a channel system sends its messages."""
        return f"{self.prefix}.ingest.{channel}"

    def dlq(self, channel: str) -> str:
        """ledger.dlq.<channel>: messages that could not be accepted, with the reason."""
        return f"{self.prefix}.dlq.{channel}"

    @property
    def ingest_subjects(self) -> list[str]:
        """Exactly the subjects a consumer reads: a publish to any other ingest subject finds
        no stream and fails at once, instead of being kept where nothing ever reads it."""
        return [self.ingest(channel) for channel in CHANNELS]

    @property
    def ingest_stream(self) -> str:
        """The stream that holds inbound channel messages until they are stored."""
        return f"{self.stream}_INGEST"

    @property
    def dlq_stream(self) -> str:
        """The stream of dead letters."""
        return f"{self.stream}_DLQ"

    @classmethod
    def of(cls, settings: Settings) -> Subjects:
        """The names configured for this deployment."""
        return cls(prefix=settings.nats_subject_prefix, stream=settings.nats_stream)


class Troubles:
    """A client's connection troubles as log lines: the first at once, then at most one every
    `every` seconds saying how many came meanwhile. The client retries twice a second, and a
    server down for an hour logged some 7,000 lines from each process."""

    def __init__(self, every: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._every, self._clock = every, clock
        self._logged_at: float | None = None
        self._since = 0

    async def error(self, error: Exception) -> None:
        """One trouble: logged unless one was logged less than `every` seconds ago."""
        now, self._since = self._clock(), self._since + 1
        if self._logged_at is None or now - self._logged_at >= self._every:
            log.warning("nats connection trouble",
                        extra={"error": str(error), "times": self._since})
            self._logged_at, self._since = now, 0

    async def reconnected(self) -> None:
        """Back: the next trouble is logged at once."""
        if self._logged_at is not None:
            log.info("nats reconnected", extra={"unlogged_troubles": self._since})
        self._logged_at, self._since = None, 0


async def connect(url: str, name: str = "ledger") -> Client:
    """A client that keeps reconnecting forever and logs (not prints) its troubles."""
    troubles = Troubles()
    client = await nats.connect(
        url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        error_cb=troubles.error, reconnected_cb=troubles.reconnected, allow_reconnect=True,
        connect_timeout=5,
    )
    await troubles.reconnected()  # connected at last, after troubles if there were any
    return client


def stream_configs(subjects: Subjects, settings: Settings) -> list[StreamConfig]:
    """The three streams with explicit retention, duplicate window and storage; the ingest
    stream takes only the known channels' subjects."""
    max_age = settings.nats_max_age_days * DAY or None
    window = settings.nats_duplicate_window_seconds
    common = {"storage": StorageType.FILE, "duplicate_window": window, "max_age": max_age}
    return [
        StreamConfig(name=subjects.stream, subjects=[f"{subjects.prefix}.events.>"],
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
        StreamConfig(name=subjects.ingest_stream, subjects=subjects.ingest_subjects,
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
        StreamConfig(name=subjects.dlq_stream, subjects=[f"{subjects.prefix}.dlq.>"],
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
    ]


async def ensure_streams(js: JetStreamContext, subjects: Subjects, settings: Settings) -> None:
    """Create the streams, or update them to the configured settings (an ingest stream made
    with `<prefix>.ingest.>` then takes only the known channels' subjects)."""
    for config in stream_configs(subjects, settings):
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)
            log.info("stream created", extra={"stream": config.name})
        else:
            await js.update_stream(config)
            log.info("stream updated", extra={"stream": config.name})
