"""What each event of an account stream carries; `Account` nests a subclass of each.

Stored events are never renamed: they evolve by upcasting."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.notification_values import (
    ContactKind,
    ContactSource,
    NotificationChannel,
    NotificationKind,
    Trigger,
)
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
    ended_at: datetime | None
    """When a contact that lasted ended (a call); None: it ended as it began. Timers the
    contact starts, such as the survey's 24 hours (6.1.6), run from its end."""
    personal_fields: ClassVar[tuple[str, ...]] = ("summary",)
    """Stored encrypted with the account's data key (domain/personal_data.py)."""

    class_version = 3

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        """Contacts stored before agreed call backs were recorded agreed none."""
        state["callback_at"] = None

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        """Contacts stored before their end was recorded are taken to have ended as they
        began (as their timers were started then)."""
        state["ended_at"] = None

    @property
    def ended(self) -> datetime:
        """The end of the contact: what the timers it starts count from."""
        return self.ended_at or self.occurred_at


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
    personal_fields: ClassVar[tuple[str, ...]] = ("subject", "text", "contact")


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
    personal_fields: ClassVar[tuple[str, ...]] = ("note",)


class AppealDeferred(AppealEvent):
    """Left for the next working day (9.1.5)."""

    reason: str
    personal_fields: ClassVar[tuple[str, ...]] = ("reason",)


class AppealExtended(AppealEvent):
    """The review term was extended, once, with a reason (9.2.4)."""

    reason: str
    personal_fields: ClassVar[tuple[str, ...]] = ("reason",)


class AppealAnswered(AppealEvent):
    """The answer was given, through the channel the client chose (10.7)."""

    channel: Channel
    text: str
    personal_fields: ClassVar[tuple[str, ...]] = ("text",)


class AppealClosed(AppealEvent):
    """Work on the appeal is finished."""

    note: str
    personal_fields: ClassVar[tuple[str, ...]] = ("note",)


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


class ContactPointRecorded(Aggregate.Event):
    """A way to reach the client, and where it came from: it decides the channels (9.1.6)."""

    kind: ContactKind
    value: str
    source: ContactSource
    at: datetime
    by: str
    personal_fields: ClassVar[tuple[str, ...]] = ("value",)


class ConsentChanged(Aggregate.Event):
    """The client's consent to be written to through a channel (`via`)."""

    via: NotificationChannel
    at: datetime
    by: str
    note: str | None
    personal_fields: ClassVar[tuple[str, ...]] = ()


class ConsentGiven(ConsentChanged):
    """The client agreed to notifications through the channel."""


class ConsentWithdrawn(ConsentChanged):
    """The client withdrew consent: nothing more goes through the channel."""


class NotificationRequested(Aggregate.Event):
    """A notification owed by a trigger, rendered, with the channel chosen (`via`, None when
    no channel is allowed: a NotificationNotSent follows at once)."""

    notification_id: UUID
    kind: NotificationKind
    trigger: Trigger
    via: NotificationChannel | None
    recipient: str | None
    subject: str
    text: str
    at: datetime
    personal_fields: ClassVar[tuple[str, ...]] = ("recipient", "subject", "text")


class NotificationEvent(Aggregate.Event):
    """A step of a requested notification."""

    notification_id: UUID
    at: datetime
    personal_fields: ClassVar[tuple[str, ...]] = ()


class NotificationNotSent(NotificationEvent):
    """The notification will not go out, and why (no allowed channel, campaign stopped)."""

    reason: str


class NotificationSent(NotificationEvent):
    """A gateway accepted it under its own message id."""

    via: NotificationChannel
    gateway_message_id: str


class NotificationDelivered(NotificationEvent):
    """The gateway reports it delivered (for a call: answered, maybe put through to an
    operator, 9.1.6)."""

    transferred: bool


class NotificationRead(NotificationEvent):
    """The channel reports the client read it."""


class NotificationFailed(NotificationEvent):
    """Refused by the gateway or bounced, with the gateway's reason."""

    reason: str
    bounced: bool
    personal_fields: ClassVar[tuple[str, ...]] = ("reason",)


class SurveyEvent(NotificationEvent):
    """The quality survey of a contact or an appeal (6.1.6); stops its `survey.send` timer."""

    interaction_id: UUID | None
    appeal_number: str | None


class SurveySent(SurveyEvent):
    """The survey went out: its timer is met."""


class SurveyNotSent(SurveyEvent):
    """No survey can go out (no e-mail given, no consent): its timer is cancelled."""

    reason: str


class LinkedToAccount(Aggregate.Event):
    """An unidentified contact's stream is found to be this account's client; a later link
    to another account corrects it (the latest link holds)."""

    account_number: str
    at: datetime
    by: str
    personal_fields: ClassVar[tuple[str, ...]] = ()


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
    ContactPointRecorded,
    ConsentGiven,
    ConsentWithdrawn,
    NotificationRequested,
    NotificationNotSent,
    NotificationSent,
    NotificationDelivered,
    NotificationRead,
    NotificationFailed,
    SurveySent,
    SurveyNotSent,
    LinkedToAccount,
)
"""Every event type the transcoder must round-trip."""
