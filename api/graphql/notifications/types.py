"""Notifications in GraphQL: a message, its status history, an account's page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

import strawberry

from api.graphql.context import Context
from api.graphql.pagination import PageInfo, decode_position, encode, page_size
from api.graphql.personal import pd_field
from domain import notification_values as nv
from projections.notification_queries import NotificationFilter as Where
from projections.notification_queries import NotificationRow, read_notifications, read_steps

strawberry.enum(nv.NotificationChannel, description="How a notification reaches the client.")
NotificationChannel = nv.NotificationChannel
strawberry.enum(nv.NotificationStatus, description="Where a notification is in its lifecycle.")
NotificationStatus = nv.NotificationStatus
strawberry.enum(nv.NotificationKind, description="Why the ledger wrote to the client.")
NotificationKind = nv.NotificationKind
strawberry.enum(nv.ContactKind, description="Phone, mobile, e-mail or postal address.")
ContactKind = nv.ContactKind
strawberry.enum(nv.ContactSource, description="The contract, or given voluntarily by the client.")
ContactSource = nv.ContactSource
_PD = "Personal data: needs a purpose (X-Purpose)."


@strawberry.type(description="One step of a notification: its status after it, and when.")
class NotificationStep:
    position: int = strawberry.field(description="Log position of the event.")
    status: NotificationStatus
    at: datetime
    detail: str | None = pd_field(
        when=lambda root: root.status is NotificationStatus.FAILED,
        description=f"The rule that asked for it, the gateway's id, or why it failed (a "
        f"gateway's refusal may quote the address: {_PD})")
    account_number: strawberry.Private[str]


async def _history(root: Notification, info: strawberry.Info[Context, None]) -> list[
        NotificationStep]:
    """Every step of the notification, in order."""
    rows = await info.context.read(read_steps, UUID(str(root.id)))
    return [NotificationStep(position=r.position, status=NotificationStatus(r.status), at=r.at,
                             detail=r.detail, account_number=root.account_number)
            for r in rows]


@strawberry.type(description="A message the ledger sent (or could not send) a client.")
class Notification:
    id: strawberry.ID
    account_number: str
    kind: NotificationKind
    channel: NotificationChannel | None = strawberry.field(
        description="Null when no channel was allowed (see reason).")
    status: NotificationStatus
    recipient: str | None = pd_field(description=f"Address or number. {_PD}")
    subject: str = pd_field(description=f"As rendered. {_PD}")
    text: str = pd_field(description=f"As rendered. {_PD}")
    reason: str | None = pd_field(
        when=lambda root: root.status is NotificationStatus.FAILED,
        description=f"Why not sent, or why it failed (a gateway's refusal: {_PD})")
    rule: str = strawberry.field(description="The rule that asked for it, e.g. survey.send.")
    trigger: str = strawberry.field(description="What it answers: interaction, appeal...")
    appeal_number: str | None
    interaction_id: strawberry.ID | None
    campaign_id: strawberry.ID | None
    requested_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    transferred_to_operator: bool = strawberry.field(
        description="Phone auto-informing: the client asked for an operator (9.1.6).")
    gateway_message_id: str | None
    history: list[NotificationStep] = strawberry.field(
        resolver=_history, description="Every step, in order.")

    @classmethod
    def of(cls, row: NotificationRow) -> Notification:
        """From a read-model row."""
        return cls(
            id=strawberry.ID(str(row.notification_id)), account_number=row.account_number,
            kind=NotificationKind(row.kind), status=NotificationStatus(row.status),
            channel=None if row.channel is None else NotificationChannel(row.channel),
            recipient=row.recipient, subject=row.subject, text=row.text, reason=row.reason,
            rule=row.rule, trigger=row.trigger_ref, appeal_number=row.appeal_number,
            interaction_id=_id(row.interaction_id), campaign_id=_id(row.campaign_id),
            requested_at=row.requested_at, sent_at=row.sent_at, delivered_at=row.delivered_at,
            read_at=row.read_at, failed_at=row.failed_at,
            transferred_to_operator=row.transferred, gateway_message_id=row.gateway_message_id)


def _id(value: UUID | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.input(description="Which notifications to list; every given condition must hold.")
class NotificationFilter:
    kind: NotificationKind | None = None
    channel: NotificationChannel | None = None
    status: NotificationStatus | None = None
    from_: datetime | None = strawberry.field(default=None, name="from",
                                              description="Requested at or after.")
    to: datetime | None = strawberry.field(default=None, description="Requested before.")


@strawberry.type
class NotificationEdge:
    cursor: str
    node: Notification


@strawberry.type(description="A page of an account's notifications, newest first.")
class NotificationConnection:
    edges: list[NotificationEdge]
    page_info: PageInfo


class Numbered(Protocol):
    """Anything with an account number, such as the `Account` type."""

    number: str


async def account_notifications(
    root: Numbered, info: strawberry.Info[Context, None],
    filter: NotificationFilter | None = None, first: int | None = 50, after: str | None = None,
) -> NotificationConnection:
    """Every message the ledger sent the account, newest first, with its delivery history."""
    info.context.require("notifications")
    number = root.number
    given = filter or NotificationFilter()
    where = Where(kind=given.kind, channel=given.channel, status=given.status,
                  since=given.from_, until=given.to)
    size = page_size(first)
    rows = await info.context.read(read_notifications, number, where, size + 1,
                                   decode_position(after))
    edges = [NotificationEdge(cursor=encode(str(r.requested_position)), node=Notification.of(r))
             for r in rows[:size]]
    return NotificationConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))
