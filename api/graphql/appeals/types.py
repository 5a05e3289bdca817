"""The Appeal type and its connection, read from the appeal status read model."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Context
from api.graphql.enums import (
    AppealForm,
    AppealStatus,
    AppealType,
    Channel,
    WithoutConsiderationReason,
)
from api.graphql.pagination import PageInfo, encode
from api.graphql.personal import pd_details_field, pd_field
from api.graphql.sla.queries import appeal_timers
from api.graphql.sla.types import SlaTimer
from domain import values as v
from projections.appeal_status_queries import AppealRow, HistoryRow, read_history


@strawberry.type(description="How to reach the person who wrote (personal data).")
class Contact:
    account_number: strawberry.Private[str]
    name: str | None = pd_field()
    phone: str | None = pd_field()
    email: str | None = pd_field()
    postal_address: str | None = pd_field()


@strawberry.type(description="One event in an appeal's history.")
class AppealHistoryEntry:
    position: int = strawberry.field(description="Log position of the event.")
    event_type: str = strawberry.field(description="E.g. AppealAssigned.")
    at: datetime = strawberry.field(description="When it happened.")
    actor: str | None = strawberry.field(description="Who did it.")
    status: AppealStatus = strawberry.field(description="The appeal's status after it.")
    details: JSON = pd_details_field(
        event_type=lambda root: root.event_type,
        description="The event's own fields (personal ones need a purpose).")
    account_number: strawberry.Private[str]

    @classmethod
    def of(cls, row: HistoryRow, account_number: str) -> AppealHistoryEntry:
        """From a read-model row."""
        return cls(
            position=row.position, event_type=row.event_type, at=row.at, actor=row.actor,
            status=v.AppealStatus(row.status), details=cast(JSON, row.details),
            account_number=account_number,
        )


async def _history(root: Appeal, info: strawberry.Info[Context, None]) -> list[AppealHistoryEntry]:
    """Every event of the appeal, in order."""
    rows = await info.context.read(read_history, root.number)
    return [AppealHistoryEntry.of(row, root.account_number) for row in rows]


@strawberry.type(description="An appeal (обращение) and where it stands.")
class Appeal:
    number: str = strawberry.field(description="Supplier-wide number, e.g. 2026-000123.")
    account_number: str
    channel: Channel
    type: AppealType
    form: AppealForm
    status: AppealStatus
    received_at: datetime
    subject: str = pd_field(description="Personal data: needs a purpose (X-Purpose).")
    text: str = pd_field(description="Personal data: needs a purpose (X-Purpose).")
    contact: Contact | None
    reply_channel: Channel | None = strawberry.field(description="Where the answer goes (10.7).")
    external_id: str | None
    assignee: str | None
    extended: bool = strawberry.field(description="Whether the term was extended (9.2.4).")
    answered_at: datetime | None
    answer_channel: Channel | None
    closed_at: datetime | None
    without_consideration_reason: WithoutConsiderationReason | None
    related_appeal_number: str | None
    read_position: strawberry.Private[int] = 0
    """The log position the row shows: `timers` are read once their model has reached it."""

    timers: list[SlaTimer] = strawberry.field(
        resolver=appeal_timers, description="Every SLA timer of the appeal, stopped ones included."
    )

    history: list[AppealHistoryEntry] = strawberry.field(
        resolver=_history,
        description="Every event of the appeal, in order.",
    )

    @classmethod
    def of(cls, row: AppealRow) -> Appeal:
        """From a read-model row."""
        contact = None if row.contact is None else Contact(
            account_number=row.account_number, name=row.contact.get("name"),
            phone=row.contact.get("phone"),
            email=row.contact.get("email"), postal_address=row.contact.get("postalAddress"),
        )
        return cls(
            number=row.appeal_number, account_number=row.account_number,
            channel=v.Channel(row.channel), type=v.AppealType(row.appeal_type),
            form=v.AppealForm(row.form), status=v.AppealStatus(row.status),
            received_at=row.received_at, subject=row.subject, text=row.text, contact=contact,
            reply_channel=_channel(row.reply_channel), external_id=row.external_id,
            assignee=row.assignee, extended=row.extended, answered_at=row.answered_at,
            answer_channel=_channel(row.answer_channel), closed_at=row.closed_at,
            without_consideration_reason=_reason(row.without_consideration_reason),
            related_appeal_number=row.related_appeal_number,
            read_position=row.updated_position,
        )


def _channel(value: str | None) -> v.Channel | None:
    return None if value is None else v.Channel(value)


def _reason(value: str | None) -> v.WithoutConsiderationReason | None:
    return None if value is None else v.WithoutConsiderationReason(value)


@strawberry.type
class AppealEdge:
    cursor: str
    node: Appeal


@strawberry.type(description="A page of appeals.")
class AppealConnection:
    edges: list[AppealEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, rows: list[AppealRow], size: int) -> AppealConnection:
        """A page from up to size+1 rows (the extra one says there is more)."""
        edges = [
            AppealEdge(cursor=encode(r.received_at.isoformat(), r.appeal_number), node=Appeal.of(r))
            for r in rows[:size]
        ]
        end = edges[-1].cursor if edges else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=end))
