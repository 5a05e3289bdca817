"""The vocabulary of notifications: channels, statuses, kinds, contact points and triggers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID, uuid5

import msgspec

from domain.values import Channel


class NotificationChannel(StrEnum):
    """How a notification reaches the client (API.md `NotificationChannel`)."""

    SMS = "sms"
    EMAIL = "email"
    PUSH = "push"
    PHONE = "phone"
    POST = "post"
    CHAT = "chat"


class NotificationStatus(StrEnum):
    """Where a notification is in its lifecycle (API.md `NotificationStatus`)."""

    REQUESTED = "requested"
    NOT_SENT = "not_sent"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    READ = "read"


class NotificationKind(StrEnum):
    """Why the ledger writes to the client: one template each (campaigns bring their own)."""

    SURVEY = "survey"
    APPEAL_ANSWER = "appeal_answer"
    ILLEGIBLE_NOTICE = "illegible_notice"
    REPEAT_NOTICE = "repeat_notice"
    OPERATOR_JOINED = "operator_joined"
    ADMISSION_ACT = "admission_act"
    VERIFICATION_REMINDER = "verification_reminder"
    CAMPAIGN = "campaign"


class ReceiptOutcome(StrEnum):
    """What a gateway reports back about a sent notification."""

    DELIVERED = "delivered"
    TRANSFERRED = "transferred"
    """Phone auto-informing: the client asked for an operator (9.1.6), so it was delivered."""
    READ = "read"
    FAILED = "failed"
    BOUNCED = "bounced"


class ContactKind(StrEnum):
    """A kind of contact point of an account."""

    PHONE = "phone"
    MOBILE = "mobile"
    EMAIL = "email"
    POSTAL = "postal"


class ContactSource(StrEnum):
    """Where a contact point came from: it decides which channels may use it (9.1.6)."""

    CONTRACT = "contract"
    """Stated in the contract: the only numbers phone auto-informing may call (9.1.6.1)."""
    CLIENT = "client"
    """Given voluntarily by the client: the only ones e-mail and SMS may use (9.1.6.2-3)."""


ANSWER_CHANNELS: dict[Channel, NotificationChannel] = {
    Channel.EMAIL: NotificationChannel.EMAIL,
    Channel.MAIL: NotificationChannel.POST,
    Channel.MOBILE_APP: NotificationChannel.PUSH,
    Channel.PERSONAL_ACCOUNT: NotificationChannel.PUSH,
    Channel.CHAT: NotificationChannel.CHAT,
}
"""The reply channels the ledger delivers an answer through (10.7); on the others (office,
phone, IVR, ГИС ЖКХ) the channel's own system hands the answer over."""

ContactValue = Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class ContactPoint(msgspec.Struct, frozen=True, kw_only=True):
    """One way to reach the account's client, with where it came from and since when."""

    kind: ContactKind
    value: str
    source: ContactSource
    at: datetime


class Trigger(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Why a notification is owed: a rule and the one fact it answers (once per fact)."""

    rule: Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+(\.[a-z_]+)*$")]
    ref: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    appeal_number: str | None = None
    interaction_id: UUID | None = None
    campaign_id: UUID | None = None


def notification_id(account_id: UUID, trigger: Trigger) -> UUID:
    """The notification a trigger owes: the same rule and fact always give the same id."""
    return uuid5(account_id, f"notification:{trigger.rule}:{trigger.ref}")
