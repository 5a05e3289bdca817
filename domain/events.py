"""What each event of an account stream carries; `Account` nests a subclass of each.

Stored events are never renamed: they evolve by upcasting."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.values import (
    AccountKind,
    AppealForm,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    WithoutConsiderationReason,
)


class AccountOpened(Aggregate.Created):
    """The first contact with an account (лицевой счёт / договор) opened its stream."""

    number: str
    kind: AccountKind


class InteractionRecorded(Aggregate.Event):
    """A contact on any channel, including meter readings handed in (6.1.3)."""

    interaction_id: UUID
    channel: Channel
    direction: Direction
    occurred_at: datetime
    summary: str
    operator: str | None
    external_id: str | None
    meter_reading: MeterReading | None
    recorded_by: str
    callback_at: datetime | None
    """The moment agreed with the client for a call back or an answer (8.2.3), if any."""

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Contacts stored before agreed call backs were recorded agreed none."""
        state["callback_at"] = None


class AppealRegistered(Aggregate.Event):
    """An appeal was received and given its supplier-wide number."""

    appeal_number: str
    channel: Channel
    appeal_type: AppealType
    form: AppealForm
    received_at: datetime
    subject: str
    text: str
    contact: Contact | None
    reply_channel: Channel | None
    external_id: str | None
    registered_by: str


class AppealEvent(Aggregate.Event):
    """Something done to an existing appeal, at a moment, by someone."""

    appeal_number: str
    at: datetime
    by: str


class AppealAssigned(AppealEvent):
    """An assignee (исполнитель) now works on the appeal."""

    assignee: str


class ClarificationRequested(AppealEvent):
    """The client was asked for details; the term keeps running (8.4.3)."""

    note: str


class AppealDeferred(AppealEvent):
    """Left for the next working day (9.1.5)."""

    reason: str


class AppealExtended(AppealEvent):
    """The review term was extended, once, with a reason (9.2.4)."""

    reason: str


class AppealAnswered(AppealEvent):
    """The answer was given, through the channel the client chose (10.7)."""

    channel: Channel
    text: str


class AppealClosed(AppealEvent):
    """Work on the appeal is finished."""

    note: str


class AppealLeftWithoutConsideration(AppealEvent):
    """Not considered on the merits, for a reason of 8.4.5–8.4.8."""

    reason: WithoutConsiderationReason
    related_appeal_number: str | None
    notify_client: bool


class OutOfHoursReplied(Aggregate.Event):
    """An online-office appeal came out of hours: the automatic reply said when (9.1.5)."""

    appeal_number: str
    taken_up_at: datetime
    at: datetime


class SlaAtRisk(Aggregate.Event):
    """A timer passed a warning share of its term (SLA.md); recorded once per threshold."""

    timer_id: str
    kind: str
    appeal_number: str | None
    threshold: float
    at: datetime


class SlaBreached(Aggregate.Event):
    """A timer's term ended before it was met (SLA.md); recorded once per timer."""

    timer_id: str
    kind: str
    appeal_number: str | None
    due_at: datetime
    at: datetime


EVENT_CLASSES: tuple[type[Aggregate.Event], ...] = (
    AccountOpened,
    InteractionRecorded,
    AppealRegistered,
    AppealAssigned,
    ClarificationRequested,
    AppealDeferred,
    AppealExtended,
    AppealAnswered,
    AppealClosed,
    AppealLeftWithoutConsideration,
    OutOfHoursReplied,
    SlaAtRisk,
    SlaBreached,
)
"""Every event type the transcoder must round-trip."""
