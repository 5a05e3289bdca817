"""What an as-of state holds of appeals, contacts and SLA marks: read from the replay.

Free texts and contact details are left out: they are personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from domain.values import AppealForm, AppealStatus, AppealType, Channel, Direction


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


def appeal_state(appeal: Any) -> AppealState:
    """An appeal of the replayed account, without its contact details."""
    return AppealState(
        number=appeal.number, channel=appeal.channel, appeal_type=appeal.appeal_type,
        form=appeal.form, received_at=appeal.received_at, status=appeal.status,
        assignee=appeal.assignee, extended=appeal.extended, answered_at=appeal.answered_at,
        reply_channel=appeal.reply_channel, has_contact=appeal.contact is not None,
    )


def interaction_state(event: Any) -> InteractionState:
    """A contact as its event recorded it, without the summary."""
    return InteractionState(
        interaction_id=str(event.interaction_id), channel=event.channel,
        direction=event.direction, occurred_at=event.occurred_at, operator=event.operator,
        callback_at=getattr(event, "callback_at", None),
        meter_reading=event.meter_reading is not None,
    )


def mark_state(event: Any) -> SlaMarkState:
    """An SlaAtRisk or SlaBreached event as a mark."""
    breached = type(event).__qualname__.endswith("SlaBreached")
    return SlaMarkState(
        timer_id=event.timer_id, kind=event.kind, appeal_number=event.appeal_number,
        mark="breached" if breached else "at_risk",
        threshold=None if breached else event.threshold, at=event.at,
    )
