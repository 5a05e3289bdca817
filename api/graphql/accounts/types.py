"""The Account type: its timeline and its appeals, from the read models."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from api.graphql.appeals.types import Appeal
from api.graphql.audit.queries import as_of
from api.graphql.audit.types import AccountState
from api.graphql.context import Context
from api.graphql.enums import Channel
from api.graphql.notifications.types import NotificationConnection, account_notifications
from api.graphql.pagination import PageInfo, decode_position, encode, page_size
from api.graphql.personal import pd_details_field, pd_field
from domain import values as v
from projections.appeal_status_queries import AppealFilter, read_appeals
from projections.timeline import PERSONAL_SUMMARIES, read_timeline
from projections.timeline import TimelineEntry as Row


@strawberry.type(description="One interaction or appeal event of an account.")
class TimelineEntry:
    position: int = strawberry.field(description="Log position: the timeline's order.")
    event_type: str = strawberry.field(description="E.g. InteractionRecorded, AppealAnswered.")
    occurred_at: datetime
    channel: Channel | None
    appeal_number: str | None
    summary: str = pd_field(
        when=lambda root: root.event_type in PERSONAL_SUMMARIES,
        description="What happened; a contact's own summary is personal data.")
    actor: str | None
    details: JSON = pd_details_field(
        event_type=lambda root: root.event_type,
        description="The event's own fields (personal ones need a purpose).")
    account_number: str = strawberry.field(description="The stream the entry is from: the "
                                           "account, or an unidentified contact linked to it.")

    @classmethod
    def of(cls, row: Row) -> TimelineEntry:
        """From a read-model row."""
        return cls(
            position=row.position, event_type=row.event_type, occurred_at=row.occurred_at,
            channel=None if row.channel is None else v.Channel(row.channel),
            appeal_number=row.appeal_number, summary=row.summary, actor=row.actor,
            details=cast(JSON, row.details), account_number=row.account_number,
        )


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineEntry


@strawberry.type(description="A page of an account's timeline, newest first.")
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: PageInfo


async def _timeline(
    root: Account, info: strawberry.Info[Context, None], first: int | None = 50,
    after: str | None = None,
) -> TimelineConnection:
    """Every interaction and appeal event, newest first."""
    info.context.require("account")  # reached from mutation payloads too, not only account()
    size = page_size(first)
    rows = await info.context.read(read_timeline, root.number, size + 1, decode_position(after))
    edges = [TimelineEdge(cursor=encode(str(r.position)), node=TimelineEntry.of(r))
             for r in rows[:size]]
    end = edges[-1].cursor if edges else None
    return TimelineConnection(
        edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=end)
    )


async def _appeals(root: Account, info: strawberry.Info[Context, None]) -> list[Appeal]:
    """The account's appeals, newest first (up to 200)."""
    info.context.require("account")  # an integration may read only its channel's appeals
    rows = await info.context.read(
        read_appeals, AppealFilter(account_number=root.number), 200, None
    )
    return [Appeal.of(row) for row in rows]


@strawberry.type(description="A client's account (лицевой счёт / договор).")
class Account:
    number: str
    timeline: TimelineConnection = strawberry.field(
        resolver=_timeline, description="Every interaction and appeal event, newest first."
    )
    appeals: list[Appeal] = strawberry.field(
        resolver=_appeals, description="The account's appeals, newest first (up to 200)."
    )
    as_of: AccountState = strawberry.field(
        resolver=as_of, description="Auditor: the state replayed from the log as the ledger "
        "knew it at store time `at` and/or at stream `version` (the earlier cut): appeals, "
        "SLA timers, contacts and consents, notifications.",
    )
    notifications: NotificationConnection = strawberry.field(
        resolver=account_notifications, description="Every message the ledger sent the "
        "account, newest first, each with its channel and delivery history.",
    )
