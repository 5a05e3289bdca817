"""Commands: what a caller asks of the ledger, validated by msgspec at every boundary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain.identity import ACCOUNT_NUMBER_PATTERN, APPEAL_NUMBER_PATTERN
from domain.values import (
    AccountKind,
    AppealForm,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    ShortText,
    Text,
    WithoutConsiderationReason,
)

AccountNumber = Annotated[str, msgspec.Meta(pattern=ACCOUNT_NUMBER_PATTERN)]
AppealNumber = Annotated[str, msgspec.Meta(pattern=APPEAL_NUMBER_PATTERN)]
Instant = Annotated[datetime, msgspec.Meta(tz=True)]
ExternalId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class Command(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A request to change the ledger; field names on the wire are camelCase like the API."""


class AccountCommand(Command, frozen=True, kw_only=True):
    """A command addressed to an account by its number."""

    account_number: AccountNumber
    account_kind: AccountKind | None = None


class RecordInteraction(AccountCommand, frozen=True, kw_only=True):
    """Record a contact on any channel; a meter reading is a contact too (6.1.3)."""

    channel: Channel
    direction: Direction
    occurred_at: Instant
    summary: Text
    operator: ShortText | None = None
    external_id: ExternalId | None = None
    meter_reading: MeterReading | None = None
    callback_at: Instant | None = None
    ended_at: Instant | None = None
    """When a contact that lasted ended (a call): the survey's 24 hours run from it."""


class RegisterAppeal(AccountCommand, frozen=True, kw_only=True):
    """Register an appeal received through a channel."""

    channel: Channel
    type: AppealType
    received_at: Instant
    subject: ShortText
    text: Text
    contact: Contact | None = None
    reply_channel: Channel | None = None
    external_id: ExternalId | None = None
    form: AppealForm | None = None


class ErasePersonalData(AccountCommand, frozen=True, kw_only=True):
    """Record an erasure of the account's personal data on a legal ground (152-ФЗ ст. 21)."""

    ground: ShortText


class AppealCommand(Command, frozen=True, kw_only=True):
    """A command addressed to an appeal by its number; `at` defaults to now."""

    appeal_number: AppealNumber
    at: Instant | None = None


class AssignAppeal(AppealCommand, frozen=True, kw_only=True):
    """Hand an appeal to an assignee."""

    assignee: ShortText


class RequestClarification(AppealCommand, frozen=True, kw_only=True):
    """Ask the client for details."""

    note: Text


class DeferAppeal(AppealCommand, frozen=True, kw_only=True):
    """Leave an appeal for the next working day."""

    reason: Text


class ExtendAppeal(AppealCommand, frozen=True, kw_only=True):
    """Extend the review term, with a reason."""

    reason: Text


class AnswerAppeal(AppealCommand, frozen=True, kw_only=True):
    """Answer an appeal through a channel."""

    channel: Channel
    text: Text


class CloseAppeal(AppealCommand, frozen=True, kw_only=True):
    """Close an answered appeal."""

    note: Text


class LeaveWithoutConsideration(AppealCommand, frozen=True, kw_only=True):
    """Leave an appeal without consideration for a reason of 8.4.5–8.4.8."""

    reason: WithoutConsiderationReason
    related_appeal_number: AppealNumber | None = None


TimerId = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
TimerKind = Annotated[str, msgspec.Meta(pattern=r"^[a-z_]+(\.[a-z_]+)+$")]
Threshold = Annotated[float, msgspec.Meta(gt=0, lt=1)]


class SlaMark(AccountCommand, frozen=True, kw_only=True):
    """A mark the SLA clock asks the account to record about one of its timers, once."""

    timer_id: TimerId
    kind: TimerKind
    appeal_number: AppealNumber | None = None
    at: Instant


class MarkSlaAtRisk(SlaMark, frozen=True, kw_only=True):
    """Record that a timer passed a warning share of its term (SLA.md)."""

    threshold: Threshold


class MarkSlaBreached(SlaMark, frozen=True, kw_only=True):
    """Record that a timer's term ended before it was met (SLA.md)."""

    due_at: Instant
