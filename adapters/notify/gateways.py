"""What every notification gateway is: it takes a message, returns its own id, or says why not.

A gateway that is down raises `GatewayDownError`: the notification waits and is tried again later.
One that refuses the message for good (an address that does not exist) raises
`GatewayRefusedError`: the notification fails, with the gateway's reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.notification_values import NotificationChannel


@dataclass(frozen=True)
class Outgoing:
    """A requested notification, ready for its gateway."""

    notification_id: UUID
    account_number: str
    kind: str
    channel: NotificationChannel
    recipient: str
    subject: str
    text: str
    campaign_id: UUID | None = None


class GatewayDownError(Exception):
    """The gateway could not be reached or answered with a temporary failure: retry later."""


class GatewayRefusedError(Exception):
    """The gateway refused the message for good; the reason is the gateway's own."""


class Gateway(Protocol):
    """Sends one notification; the id it returns is what its receipts will name."""

    async def send(self, message: Outgoing) -> str:
        """The gateway's message id; raises GatewayDownError or GatewayRefusedError."""

    async def close(self) -> None:
        """Release connections."""
