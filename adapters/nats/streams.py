"""The JetStream streams of the ledger: events out, channel messages in, dead letters."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

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


async def connect(url: str, name: str = "ledger") -> Client:
    """A client that keeps reconnecting forever and logs (not prints) its troubles."""

    async def on_error(error: Exception) -> None:
        log.warning("nats connection trouble", extra={"error": str(error)})

    return await nats.connect(
        url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
        error_cb=on_error, allow_reconnect=True, connect_timeout=5,
    )


def stream_configs(subjects: Subjects, settings: Settings) -> list[StreamConfig]:
    """The three streams with explicit retention, duplicate window and storage."""
    max_age = settings.nats_max_age_days * DAY or None
    window = settings.nats_duplicate_window_seconds
    common = {"storage": StorageType.FILE, "duplicate_window": window, "max_age": max_age}
    return [
        StreamConfig(name=subjects.stream, subjects=[f"{subjects.prefix}.events.>"],
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
        StreamConfig(name=subjects.ingest_stream, subjects=[f"{subjects.prefix}.ingest.>"],
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
        StreamConfig(name=subjects.dlq_stream, subjects=[f"{subjects.prefix}.dlq.>"],
                     retention=RetentionPolicy.LIMITS, **common),  # type: ignore[arg-type]
    ]


async def ensure_streams(js: JetStreamContext, subjects: Subjects, settings: Settings) -> None:
    """Create the streams, or update them to the configured settings."""
    for config in stream_configs(subjects, settings):
        try:
            await js.stream_info(config.name or "")
        except NotFoundError:
            await js.add_stream(config)
            log.info("stream created", extra={"stream": config.name})
        else:
            await js.update_stream(config)
            log.info("stream updated", extra={"stream": config.name})
