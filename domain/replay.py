"""An account as the ledger knew it at a moment: its stream replayed up to that store time.

The cut is by store time (each event's `timestamp`, set when it was stored), because an
auditor asks "what did the ledger know at T", not "what had happened in the world by T".
The aggregate's own event methods rebuild the appeals, so the state is the one decisions saw.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from domain.account import Account
from domain.values import AccountKind, AppealForm, AppealStatus, AppealType, Channel, Direction


class AppealState(msgspec.Struct, frozen=True, kw_only=True):
    """An appeal as the replayed history made it (contact details left out: personal data)."""

    number: str
    channel: Channel
    appeal_type: AppealType
    form: AppealForm
    received_at: datetime
    status: AppealStatus
    assignee: str | None
    extended: bool
    answered_at: datetime | None
    reply_channel: Channel | None
    has_contact: bool


class InteractionState(msgspec.Struct, frozen=True, kw_only=True):
    """A contact on any channel, without its free-text summary."""

    interaction_id: str
    channel: Channel
    direction: Direction
    occurred_at: datetime
    operator: str | None
    callback_at: datetime | None
    meter_reading: bool


class SlaMarkState(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded SLA warning or breach: the timers as the stream knows them."""

    timer_id: str
    kind: str
    appeal_number: str | None
    mark: str
    """`at_risk` or `breached`."""
    threshold: float | None
    at: datetime


class ReplayedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event that led to the state."""

    version: int
    event_type: str
    recorded_at: datetime


class AccountState(msgspec.Struct, frozen=True, kw_only=True):
    """The account at a version of its stream."""

    number: str
    kind: AccountKind
    version: int
    recorded_at: datetime
    """Store time of the last event replayed."""
    as_of: datetime | None
    appeals: list[AppealState]
    interactions: list[InteractionState]
    sla_marks: list[SlaMarkState]
    events: list[ReplayedEvent]


def replay_until(
    events: Iterable[Any], at: datetime | None = None, version: int | None = None
) -> AccountState | None:
    """Replay events in version order, up to store time `at` and/or `version` inclusive.

    None when the cut leaves nothing (the account was not yet known then)."""
    account: Account | None = None
    notes: list[Any] = []
    for event in events:
        if (at is not None and event.timestamp > at) or (
            version is not None and event.originator_version > version
        ):
            break
        account = event.mutate(account)
        notes.append(event)
    return None if account is None else _state(account, notes, at)


def _state(account: Account, events: list[Any], at: datetime | None) -> AccountState:
    return AccountState(
        number=account.number, kind=account.kind, version=account.version,
        recorded_at=events[-1].timestamp, as_of=at,
        appeals=[_appeal(a) for a in account.appeals.values()],
        interactions=[_interaction(e) for e in events if _is(e, "InteractionRecorded")],
        sla_marks=[_mark(e) for e in events if _is(e, "SlaAtRisk", "SlaBreached")],
        events=[
            ReplayedEvent(version=e.originator_version, event_type=_type(e),
                          recorded_at=e.timestamp)
            for e in events
        ],
    )


def _type(event: Any) -> str:
    return type(event).__qualname__.rsplit(".", 1)[-1]


def _is(event: Any, *names: str) -> bool:
    return _type(event) in names


def _appeal(appeal: Any) -> AppealState:
    return AppealState(
        number=appeal.number, channel=appeal.channel, appeal_type=appeal.appeal_type,
        form=appeal.form, received_at=appeal.received_at, status=appeal.status,
        assignee=appeal.assignee, extended=appeal.extended, answered_at=appeal.answered_at,
        reply_channel=appeal.reply_channel, has_contact=appeal.contact is not None,
    )


def _interaction(event: Any) -> InteractionState:
    return InteractionState(
        interaction_id=str(event.interaction_id), channel=event.channel,
        direction=event.direction, occurred_at=event.occurred_at, operator=event.operator,
        callback_at=getattr(event, "callback_at", None),
        meter_reading=event.meter_reading is not None,
    )


def _mark(event: Any) -> SlaMarkState:
    breached = _is(event, "SlaBreached")
    return SlaMarkState(
        timer_id=event.timer_id, kind=event.kind, appeal_number=event.appeal_number,
        mark="breached" if breached else "at_risk",
        threshold=None if breached else event.threshold, at=event.at,
    )
