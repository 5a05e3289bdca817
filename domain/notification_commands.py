"""Commands of contacts, consent and notifications, validated by msgspec at every boundary."""

from __future__ import annotations

import re
from typing import Annotated
from uuid import UUID

import msgspec

from domain.commands import AccountCommand, ExternalId, Instant
from domain.notification_values import (
    ContactKind,
    ContactSource,
    ContactValue,
    NotificationChannel,
    NotificationKind,
    ReceiptOutcome,
    Trigger,
)
from domain.values import ShortText, Text

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{10,15}$")
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2_000)]


class RecordContactPoint(AccountCommand, frozen=True, kw_only=True):
    """Record a phone, mobile, e-mail or postal address of the client, and where it came from."""

    kind: ContactKind
    value: ContactValue
    source: ContactSource
    at: Instant | None = None

    def __post_init__(self) -> None:
        if self.kind is ContactKind.EMAIL and not _EMAIL.match(self.value):
            raise ValueError("value is not an e-mail address")
        if self.kind in (ContactKind.PHONE, ContactKind.MOBILE) and not _PHONE.match(
                self.value):
            raise ValueError("value is not a phone number: 10 to 15 digits, + allowed")


class RecordConsent(AccountCommand, frozen=True, kw_only=True):
    """Record that the client gave or withdrew consent to be written to through a channel."""

    channel: NotificationChannel
    given: bool
    at: Instant | None = None
    note: ShortText | None = None


class RequestNotification(AccountCommand, frozen=True, kw_only=True):
    """Ask for a notification owed by a trigger; its text is rendered from a template."""

    kind: NotificationKind
    trigger: Trigger
    channels: Annotated[tuple[NotificationChannel, ...], msgspec.Meta(min_length=1)]
    subject: ShortText
    text: Text
    at: Instant
    withheld: Reason | None = None
    """Owed but not to go out (a stopped campaign's recipient): recorded not sent at once."""


class NotificationStep(AccountCommand, frozen=True, kw_only=True):
    """A step of one notification of the account, at a moment."""

    notification_id: UUID
    at: Instant


class RecordNotificationSent(NotificationStep, frozen=True, kw_only=True):
    """A gateway accepted the notification, under its own message id."""

    gateway_message_id: ExternalId


class RecordNotificationNotSent(NotificationStep, frozen=True, kw_only=True):
    """The notification will not go out (a campaign cancelled or its window ended, its
    address erased)."""

    reason: Reason


class RecordNotificationRefused(NotificationStep, frozen=True, kw_only=True):
    """The dispatcher's gateway refused the message for good before taking it (a receipt,
    which comes after sending, cannot fail a notification not yet sent)."""

    reason: Reason


class RecordReceipt(NotificationStep, frozen=True, kw_only=True):
    """A gateway's delivery receipt: delivered, transferred, read, failed or bounced."""

    outcome: ReceiptOutcome
    reason: Reason | None = None
