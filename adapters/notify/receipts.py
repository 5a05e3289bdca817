"""Delivery receipts: from the HTTP webhook or `<prefix>.receipts.<gateway>`, into events.

A receipt names the notification by our id or by the gateway's message id; the history read
model says which account it belongs to, and the account decides whether it moves it on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID

import msgspec
from psycopg_pool import ConnectionPool

from adapters.group_commit import GroupCommitter
from adapters.pg_retry import on_live_connection
from domain.commands import Instant
from domain.errors import NotFoundError, ValidationError
from domain.ledger import Outcome
from domain.notification_commands import Reason, RecordReceipt
from domain.notification_values import NotificationChannel, ReceiptOutcome
from projections.notification_queries import locate

GATEWAYS = tuple(channel.value for channel in NotificationChannel)
"""A receipt's gateway is named by its channel: /webhooks/notifications/sms, receipts.sms..."""
_PATH = re.compile(r" - at `\$\.?([^`]*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")


class Receipt(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """What a gateway reports: which message, what became of it, when, and why if it failed."""

    notification_id: UUID | None = None
    message_id: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    status: ReceiptOutcome
    at: Instant
    reason: Reason | None = None

    def __post_init__(self) -> None:
        if self.notification_id is None and self.message_id is None:
            raise ValueError("notificationId or messageId is required")


def decode_receipt(body: bytes) -> Receipt:
    """The receipt in a body, or a VALIDATION error naming the field at fault."""
    try:
        return msgspec.json.decode(body, type=Receipt)
    except msgspec.ValidationError as error:
        text = str(error)
        path, missing = _PATH.search(text), _MISSING.search(text)
        field = missing.group(1) if missing else (path.group(1) if path else "") or "body"
        raise ValidationError(f"receipt: {_PATH.sub('', text)}", field) from None
    except msgspec.DecodeError as error:
        raise ValidationError(f"receipt is not JSON: {error}", "body") from None


def channel_of(gateway: str) -> NotificationChannel:
    """The channel a gateway name stands for, or VALIDATION on `gateway`."""
    if gateway not in GATEWAYS:
        raise ValidationError(f"unknown gateway {gateway!r}; known: {', '.join(GATEWAYS)}",
                              "gateway")
    return NotificationChannel(gateway)


def record_receipt(
    pool: ConnectionPool, committer: GroupCommitter, gateway: str, receipt: Receipt, actor: str
) -> tuple[UUID, Outcome]:
    """Store the receipt as an event of its notification; NOT_FOUND if none matches."""
    channel = channel_of(gateway)
    found = on_live_connection(pool, lambda conn: locate(
        conn, channel, receipt.notification_id, receipt.message_id))
    if found is None:
        named = receipt.notification_id or receipt.message_id
        raise NotFoundError(f"no notification {named} was sent through {gateway}")
    account_number, notification_id = found
    command = RecordReceipt(account_number=account_number, notification_id=notification_id,
                            outcome=receipt.status, reason=receipt.reason, at=receipt.at)
    return notification_id, committer.execute(command, actor, datetime.now(UTC))
