"""The parts of an as-of state beyond appeals: SLA timers, contacts and consents, notifications.

Each is read from what the replay built (the timer follower, the account's contact book and
notices) and, for times the aggregate does not keep, from the replayed events themselves.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from domain.consent import ContactBook
from domain.notification_values import (
    ContactKind,
    ContactSource,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from domain.notifications import Notice
from domain.sla_follow import Followed
from domain.sla_timer import TimerState
from domain.values import Channel


class SlaTimerState(msgspec.Struct, frozen=True, kw_only=True):
    """An SLA timer the stream implies, and where it stood at the cut."""

    timer_id: str
    kind: str
    """The policy's rule id, e.g. written.answer."""
    appeal_number: str | None
    interaction_id: str | None
    channel: Channel
    started_at: datetime
    due_at: datetime
    state: TimerState
    stopped_at: datetime | None


class ContactPointState(msgspec.Struct, frozen=True, kw_only=True):
    """A way to reach the client; `value` is personal data."""

    kind: ContactKind
    value: str
    source: ContactSource
    at: datetime


class ConsentState(msgspec.Struct, frozen=True, kw_only=True):
    """The client's consent for a channel, as last given or withdrawn."""

    channel: NotificationChannel
    given: bool
    at: datetime


class NotificationState(msgspec.Struct, frozen=True, kw_only=True):
    """A notification and the moments of its lifecycle so far."""

    notification_id: str
    kind: NotificationKind
    rule: str
    """The rule that asked for it (its template follows the kind), e.g. survey.send."""
    channel: NotificationChannel | None
    status: NotificationStatus
    requested_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    not_sent_at: datetime | None = None
    reason: str | None = None
    """Why it was not sent, or why it failed."""


def timers_at(followed: dict[str, Followed], now: datetime) -> list[SlaTimerState]:
    """Every timer started so far, in its state at `now`, earliest started first."""
    return sorted((SlaTimerState(
        timer_id=f.timer.timer_id, kind=f.timer.kind, appeal_number=f.appeal_number,
        interaction_id=None if f.interaction_id is None else str(f.interaction_id),
        channel=f.channel, started_at=f.timer.started_at, due_at=f.timer.due_at,
        state=f.timer.state(now), stopped_at=f.timer.stopped_at,
    ) for f in followed.values()), key=lambda t: (t.started_at, t.timer_id))


def contact_points(book: ContactBook) -> list[ContactPointState]:
    """The recorded ways to reach the client, in the order recorded (erased ones read so)."""
    return [ContactPointState(kind=p.kind, value=p.value, source=p.source, at=p.at)
            for p in book.points]


def consents(book: ContactBook) -> list[ConsentState]:
    """Consent per channel, as it stood."""
    return [ConsentState(channel=channel, given=given, at=at)
            for channel, (given, at) in sorted(book.consents.items())]


_STEP_TIME = {
    "NotificationSent": "sent_at", "NotificationDelivered": "delivered_at",
    "NotificationRead": "read_at", "NotificationFailed": "failed_at",
    "NotificationNotSent": "not_sent_at",
}
"""A lifecycle event -> the time it sets; the status itself is the account's own."""


def notifications(
    notices: dict[UUID, Notice], events: list[tuple[str, Any]]
) -> list[NotificationState]:
    """Every notification requested so far, in the order requested, with its step times."""
    found: dict[UUID, dict[str, Any]] = {}
    for name, event in events:
        if name == "NotificationRequested":
            found[event.notification_id] = {"requested_at": event.at}
        elif name in _STEP_TIME and event.notification_id in found:
            steps = found[event.notification_id]
            steps[_STEP_TIME[name]] = event.at
            if name in ("NotificationNotSent", "NotificationFailed"):
                steps["reason"] = event.reason
    return [_notification(i, notices[i], steps) for i, steps in found.items()]


def _notification(
    notification_id: UUID, notice: Notice, steps: dict[str, Any]
) -> NotificationState:
    return NotificationState(
        notification_id=str(notification_id), kind=notice.kind, rule=notice.trigger.rule,
        channel=notice.channel, status=notice.status, **steps)
