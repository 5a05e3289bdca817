"""The auditor's view of an account as of a moment: the state replayed from the log."""

from __future__ import annotations

from datetime import datetime

import strawberry
from msgspec.structs import asdict

from api.graphql.audit.as_of_parts import (
    ConsentState,
    ContactPointState,
    NotificationState,
    SlaTimerState,
    contact_point,
)
from api.graphql.enums import AccountKind, AppealForm, AppealStatus, AppealType, Channel, Direction
from domain import replay as r


@strawberry.type(description="An appeal as the replayed history made it.")
class AppealState:
    number: str
    channel: Channel
    type: AppealType
    form: AppealForm
    received_at: datetime
    status: AppealStatus
    assignee: str | None
    extended: bool
    answered_at: datetime | None
    reply_channel: Channel | None
    has_contact: bool = strawberry.field(description="Contact details were given (not shown).")

    @classmethod
    def of(cls, state: r.AppealState) -> AppealState:
        """From the domain's replayed appeal."""
        return cls(
            number=state.number, channel=state.channel, type=state.appeal_type, form=state.form,
            received_at=state.received_at, status=state.status, assignee=state.assignee,
            extended=state.extended, answered_at=state.answered_at,
            reply_channel=state.reply_channel, has_contact=state.has_contact,
        )


@strawberry.type(description="A contact on any channel, without its free-text summary.")
class InteractionState:
    interaction_id: str
    channel: Channel
    direction: Direction
    occurred_at: datetime
    operator: str | None
    callback_at: datetime | None
    meter_reading: bool = strawberry.field(description="A meter reading was handed in.")


@strawberry.type(description="An SLA warning or breach recorded in the account's stream.")
class SlaMarkState:
    timer_id: str
    kind: str
    appeal_number: str | None
    mark: str = strawberry.field(description="at_risk or breached.")
    threshold: float | None
    at: datetime


@strawberry.type(description="One event that led to the state.")
class ReplayedEvent:
    version: int
    event_type: str
    recorded_at: datetime = strawberry.field(description="Store time.")


@strawberry.type(description="The account as the ledger knew it at a moment (store time).")
class AccountState:
    number: str
    kind: AccountKind
    version: int = strawberry.field(description="The last stream version replayed.")
    recorded_at: datetime = strawberry.field(description="Store time of that version.")
    as_of: datetime | None
    appeals: list[AppealState]
    interactions: list[InteractionState]
    sla_marks: list[SlaMarkState]
    timers: list[SlaTimerState] = strawberry.field(
        description="Every SLA timer the stream implies, in its state at the cut.")
    contact_points: list[ContactPointState]
    consents: list[ConsentState] = strawberry.field(description="Per channel.")
    notifications: list[NotificationState]
    events: list[ReplayedEvent]

    @classmethod
    def of(cls, state: r.AccountState) -> AccountState:
        """From the domain's replayed state."""
        return cls(
            number=state.number, kind=state.kind, version=state.version,
            recorded_at=state.recorded_at, as_of=state.as_of,
            appeals=[AppealState.of(a) for a in state.appeals],
            interactions=[InteractionState(**asdict(i)) for i in state.interactions],
            sla_marks=[SlaMarkState(**asdict(m)) for m in state.sla_marks],
            timers=[SlaTimerState.of(t) for t in state.timers],
            contact_points=[contact_point(c, state.number) for c in state.contact_points],
            consents=[ConsentState(**asdict(c)) for c in state.consents],
            notifications=[NotificationState.of(n, state.number) for n in state.notifications],
            events=[ReplayedEvent(**asdict(e)) for e in state.events],
        )
