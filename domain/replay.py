"""An account as the ledger knew it at a moment: its stream replayed up to that store time.

The cut is by store time (each event's `timestamp`, set when it was stored), because an
auditor asks "what did the ledger know at T", not "what had happened in the world by T".
The aggregate's own event methods rebuild the appeals, contacts and notices, so the state is
the one decisions saw; SLA timers follow the same events (domain/sla_follow.py) and are shown
as they stood at the cut: at `at`, or at the store time of the last event replayed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from domain import replay_parts as parts
from domain.account import Account
from domain.calendar import BusinessCalendar
from domain.replay_appeals import (
    AppealState,
    InteractionState,
    SlaMarkState,
    appeal_state,
    interaction_state,
    mark_state,
)
from domain.sla import DEFAULT_POLICY, SlaPolicy
from domain.sla_follow import TimerFollower
from domain.values import AccountKind

__all__ = ["AccountState", "AppealState", "InteractionState", "ReplayedEvent", "SlaMarkState",
           "replay_until"]


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
    timers: list[parts.SlaTimerState]
    contact_points: list[parts.ContactPointState]
    """Their values are personal data."""
    consents: list[parts.ConsentState]
    notifications: list[parts.NotificationState]
    events: list[ReplayedEvent]


def replay_until(
    events: Iterable[Any], at: datetime | None = None, version: int | None = None,
    policy: SlaPolicy = DEFAULT_POLICY, calendar: BusinessCalendar | None = None,
) -> AccountState | None:
    """Replay events in version order, up to store time `at` and/or `version` inclusive;
    timers follow `policy` on `calendar` (the ones the timers read model uses).

    None when the cut leaves nothing (the account was not yet known then)."""
    account: Account | None = None
    timers = TimerFollower(policy, calendar or BusinessCalendar())
    notes: list[Any] = []
    for event in events:
        if (at is not None and event.timestamp > at) or (
            version is not None and event.originator_version > version
        ):
            break
        account = event.mutate(account)
        assert account is not None  # only a stream's first event creates it
        timers.apply(_type(event), event, account.appeals)
        notes.append(event)
    return None if account is None else _state(account, notes, at, timers)


def _state(
    account: Account, events: list[Any], at: datetime | None, timers: TimerFollower
) -> AccountState:
    named = [(_type(e), e) for e in events]
    return AccountState(
        number=account.number, kind=account.kind, version=account.version,
        recorded_at=events[-1].timestamp, as_of=at,
        appeals=[appeal_state(a) for a in account.appeals.values()],
        interactions=[interaction_state(e) for n, e in named if n == "InteractionRecorded"],
        sla_marks=[mark_state(e) for n, e in named if n in ("SlaAtRisk", "SlaBreached")],
        timers=parts.timers_at(timers.timers, at or events[-1].timestamp),
        contact_points=parts.contact_points(account.contacts),
        consents=parts.consents(account.contacts),
        notifications=parts.notifications(account.notices, named),
        events=[
            ReplayedEvent(version=e.originator_version, event_type=_type(e),
                          recorded_at=e.timestamp)
            for e in events
        ],
    )


def _type(event: Any) -> str:
    return type(event).__qualname__.rsplit(".", 1)[-1]
