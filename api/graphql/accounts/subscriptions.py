"""Live subscriptions of an account, fed from the log (graphql-transport-ws)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.graphql.accounts.types import TimelineEntry
from api.graphql.appeals.types import Appeal
from api.graphql.context import Context
from projections.appeal_status_queries import read_appeal
from projections.timeline import read_entry


async def timeline_appended(
    info: strawberry.Info[Context, None], account_number: str
) -> AsyncGenerator[TimelineEntry, None]:
    """Each new timeline entry of an account, as it lands."""
    context = info.context
    context.require("timelineAppended")
    async with context.broadcaster.listen(account_number) as events:
        while True:
            logged = await events.get()
            await context.wait("timeline", logged.position)
            row = await context.read(read_entry, logged.position)
            if row is not None:
                yield TimelineEntry.of(row)

async def appeal_updated(
    info: strawberry.Info[Context, None], account_number: str
) -> AsyncGenerator[Appeal, None]:
    """An account's appeal each time one of them changes."""
    context = info.context
    context.require("appealUpdated")
    async with context.broadcaster.listen(account_number) as events:
        while True:
            logged = await events.get()
            number = getattr(logged.event, "appeal_number", None)
            if number is None:
                continue
            await context.wait("appeal_status", logged.position)
            row = await context.read(read_appeal, number)
            if row is not None:
                yield Appeal.of(row)


@strawberry.type
class AccountSubscriptions:
    timeline_appended = strawberry.subscription(
        timeline_appended, description="Each new timeline entry of an account, as it lands."
    )
    appeal_updated = strawberry.subscription(
        appeal_updated, description="An account's appeal each time one of them changes."
    )
