"""Queries of appeals: one by number, or a filtered page."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.types import Appeal, AppealConnection
from api.graphql.context import Context
from api.graphql.enums import AppealStatus, AppealType, Channel
from api.graphql.pagination import decode_appeal, page_size
from projections.appeal_status_queries import AppealFilter as Filter
from projections.appeal_status_queries import read_appeal, read_appeals


@strawberry.input(description="Which appeals to list; every condition must hold.")
class AppealFilter:
    status: list[AppealStatus] | None = None
    channel: list[Channel] | None = None
    type: list[AppealType] | None = None
    assignee: str | None = None
    account_number: str | None = None
    received_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    received_to: datetime | None = strawberry.field(default=None, description="Exclusive.")


async def appeal(info: strawberry.Info[Context, None], number: str) -> Appeal | None:
    """One appeal by its number (an integration sees those of its own channel only)."""
    principal = info.context.require("appeal")
    row = await info.context.read(read_appeal, number)
    if row is None:
        return None
    reply = None if row.reply_channel is None else Channel(row.reply_channel)
    principal.check_channel(Channel(row.channel), reply)
    return Appeal.of(row)


async def appeals(
    info: strawberry.Info[Context, None],
    filter: AppealFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> AppealConnection:
    """Appeals newest first, filtered, a page at a time."""
    info.context.require("appeals")
    size = page_size(first)
    rows = await info.context.read(read_appeals, _filter(filter), size + 1, decode_appeal(after))
    return AppealConnection.of(rows, size)


@strawberry.type
class AppealQueries:
    appeal: Appeal | None = strawberry.field(resolver=appeal, description="One appeal by number.")
    appeals: AppealConnection = strawberry.field(
        resolver=appeals, description="Appeals newest first, filtered, a page at a time."
    )


def _filter(given: AppealFilter | None) -> Filter:
    if given is None:
        return Filter()
    return Filter(
        status=[s.value for s in given.status] if given.status else None,
        channel=[c.value for c in given.channel] if given.channel else None,
        appeal_type=[t.value for t in given.type] if given.type else None,
        assignee=given.assignee, account_number=given.account_number,
        received_from=given.received_from, received_to=given.received_to,
    )
