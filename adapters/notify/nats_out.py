"""Push, phone auto-informing and chat: messages on NATS subjects for the app, IVR and chat.

`<prefix>.notify.<channel>` carries the notification; the systems answer on
`<prefix>.receipts.<channel>`. Both live in the stream `<stream>_NOTIFY`. The message id is the
notification id, so a resend after a crash is dropped by JetStream as a duplicate.
"""

from __future__ import annotations

import logging
from uuid import UUID

import msgspec
import nats.errors
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from adapters.nats.streams import DAY, Subjects
from adapters.notify.gateways import GatewayDownError, Outgoing
from adapters.settings import Settings

log = logging.getLogger("ledger.notify")


class NotifySubjects:
    """Subjects and stream of notifications out and receipts in."""

    def __init__(self, subjects: Subjects) -> None:
        self.prefix, self.stream = subjects.prefix, f"{subjects.stream}_NOTIFY"

    def outbound(self, channel: str) -> str:
        """Where a channel's notifications are published."""
        return f"{self.prefix}.notify.{channel}"

    def receipts(self, gateway: str = "*") -> str:
        """Where a gateway's delivery receipts arrive."""
        return f"{self.prefix}.receipts.{gateway}"

    def config(self, settings: Settings) -> StreamConfig:
        """The stream, with the deployment's retention and duplicate window."""
        return StreamConfig(
            name=self.stream, subjects=[f"{self.prefix}.notify.>", f"{self.prefix}.receipts.>"],
            retention=RetentionPolicy.LIMITS, storage=StorageType.FILE,
            duplicate_window=settings.nats_duplicate_window_seconds,
            max_age=settings.nats_max_age_days * DAY or None,
        )

    async def ensure(self, js: JetStreamContext, settings: Settings) -> None:
        """Create the stream, or bring it to the configured settings."""
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(self.config(settings))
        else:
            await js.update_stream(self.config(settings))


class NotifyMessage(msgspec.Struct, frozen=True, rename="camel"):
    """What the app, the IVR or the chat receives: whom to reach and what to say."""

    notification_id: UUID
    account_number: str
    kind: str
    recipient: str
    subject: str
    text: str
    campaign_id: UUID | None


class NatsGateway:
    """Publishes one channel's notifications; the gateway id is `<stream>:<sequence>`."""

    def __init__(self, js: JetStreamContext, subjects: NotifySubjects, channel: str,
                 timeout: float = 10.0) -> None:
        self.js, self.subjects, self.channel, self.timeout = js, subjects, channel, timeout

    async def send(self, message: Outgoing) -> str:
        """Publish and wait for JetStream's ack."""
        body = msgspec.json.encode(NotifyMessage(
            message.notification_id, message.account_number, message.kind, message.recipient,
            message.subject, message.text, message.campaign_id))
        try:
            ack = await self.js.publish(
                self.subjects.outbound(self.channel), body, timeout=self.timeout,
                stream=self.subjects.stream, headers={"Nats-Msg-Id": str(message.notification_id)})
        except (nats.errors.Error, TimeoutError) as error:
            raise GatewayDownError(f"NATS: {error!r}") from None
        return f"{ack.stream}:{ack.seq}"

    async def close(self) -> None:
        """The connection belongs to the worker thread."""
