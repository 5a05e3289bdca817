"""The as-of state's SLA timers, contacts, consents and notifications (domain/replay_parts.py).

Contact values and a gateway's refusal are personal data: they go through `pd_field`, so they
read `***` without a purpose, `[erased]` after an erasure, and are audited when shown.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.enums import Channel
from api.graphql.notifications.types import (
    ContactKind,
    ContactSource,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
)
from api.graphql.personal import pd_field
from domain import replay_parts as p
from domain.sla_timer import TimerState

_PD = "Personal data: needs a purpose (X-Purpose)."


@strawberry.type(description="An SLA timer the stream implies, as it stood at the cut.")
class SlaTimerState:
    timer_id: str = strawberry.field(description="Subject, timer kind, starting version.")
    kind: str = strawberry.field(description='The policy\'s rule, e.g. "written.answer".')
    appeal_number: str | None
    interaction_id: str | None = strawberry.field(description="For contact timers.")
    channel: Channel
    started_at: datetime
    due_at: datetime = strawberry.field(description="The instant the term ends.")
    state: TimerState = strawberry.field(description="At the cut (asOf `at`, or the store "
                                         "time of the last version replayed).")
    stopped_at: datetime | None = strawberry.field(description="When met or cancelled.")

    @classmethod
    def of(cls, timer: p.SlaTimerState) -> SlaTimerState:
        """From the domain's timer at the cut."""
        return cls(
            timer_id=timer.timer_id, kind=timer.kind, appeal_number=timer.appeal_number,
            interaction_id=timer.interaction_id, channel=timer.channel,
            started_at=timer.started_at, due_at=timer.due_at, state=timer.state,
            stopped_at=timer.stopped_at)


@strawberry.type(description="A way to reach the client, as recorded by then.")
class ContactPointState:
    kind: ContactKind
    value: str = pd_field(description=f"The address or number. {_PD}")
    source: ContactSource
    at: datetime
    account_number: strawberry.Private[str]


@strawberry.type(description="The client's consent for a channel, as it stood.")
class ConsentState:
    channel: NotificationChannel
    given: bool = strawberry.field(description="False: withdrawn.")
    at: datetime = strawberry.field(description="When last given or withdrawn.")


@strawberry.type(description="A notification as far as its lifecycle had gone by then.")
class NotificationState:
    id: strawberry.ID
    kind: NotificationKind = strawberry.field(description="Which template it follows.")
    rule: str = strawberry.field(description="The rule that asked for it, e.g. survey.send.")
    channel: NotificationChannel | None = strawberry.field(
        description="Null when no channel was allowed (see reason).")
    status: NotificationStatus
    requested_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    not_sent_at: datetime | None
    reason: str | None = pd_field(
        when=lambda root: root.status is NotificationStatus.FAILED,
        description=f"Why not sent, or why it failed (a gateway's refusal: {_PD})")
    account_number: strawberry.Private[str]

    @classmethod
    def of(cls, notice: p.NotificationState, account_number: str) -> NotificationState:
        """From the domain's notification at the cut."""
        return cls(
            id=strawberry.ID(notice.notification_id), kind=notice.kind, rule=notice.rule,
            channel=notice.channel, status=notice.status, requested_at=notice.requested_at,
            sent_at=notice.sent_at, delivered_at=notice.delivered_at, read_at=notice.read_at,
            failed_at=notice.failed_at, not_sent_at=notice.not_sent_at, reason=notice.reason,
            account_number=account_number)


def contact_point(point: p.ContactPointState, account_number: str) -> ContactPointState:
    """From the domain's contact point, knowing whose it is (for the access record)."""
    return ContactPointState(kind=point.kind, value=point.value, source=point.source,
                             at=point.at, account_number=account_number)
