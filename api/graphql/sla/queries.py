"""Queries of SLA timers: the supervisor's list by due time, and the timeliness report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Protocol

import strawberry

from api.graphql.context import Context
from api.graphql.pagination import page_size
from api.graphql.sla.types import (
    SlaTimer,
    SlaTimerConnection,
    SlaTimerFilter,
    TimelinessRow,
    decode_due,
)
from domain.errors import ValidationError
from projections.sla_timeliness import Period, read_timeliness
from projections.sla_timer_queries import TimerFilter, read_appeal_timers, read_timers


async def sla_timers(
    info: strawberry.Info[Context, None],
    filter: SlaTimerFilter | None = None,
    first: int = 50,
    after: str | None = None,
) -> SlaTimerConnection:
    """Timers soonest due first, in their state as of now."""
    info.context.require("slaTimers")
    size, now = page_size(first), datetime.now(UTC)
    rows = await info.context.read(read_timers, _filter(filter), now, size + 1, decode_due(after))
    return SlaTimerConnection.of(rows, size, now, info.context.services.calendar)


async def timeliness(
    info: strawberry.Info[Context, None],
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
    period: Period = Period.WHOLE,
) -> list[TimelinessRow]:
    """The timeliness report (12.2.3) for timers due from `from` to `to`, as of now."""
    info.context.require("timeliness")
    if to < from_:
        raise ValidationError("to must not be before from", field="to")
    rows = await info.context.read(read_timeliness, from_, to, datetime.now(UTC), period)
    return [TimelinessRow.of(row) for row in rows]


class Numbered(Protocol):
    """An appeal as the `Appeal` type shows it: its number, and the log position it reflects."""

    number: str
    read_position: int


async def appeal_timers(root: Numbered, info: strawberry.Info[Context, None]) -> list[SlaTimer]:
    """Every timer of an appeal, stopped ones included (the `Appeal.timers` field)."""
    if root.read_position:
        await info.context.wait("sla_timers", root.read_position)
    rows = await info.context.read(read_appeal_timers, root.number)
    now, calendar = datetime.now(UTC), info.context.services.calendar
    return [SlaTimer.of(row, now, calendar) for row in rows]


@strawberry.type
class SlaQueries:
    sla_timers = strawberry.field(
        resolver=sla_timers,
        description="Timers soonest due first, filtered: the supervisor's about-to-be-late list.",
    )
    timeliness = strawberry.field(
        resolver=timeliness,
        description="Share of timers met on time by channel and appeal type (12.2.3), for "
                    "timers due from `from` to `to` inclusive.",
    )


def _filter(given: SlaTimerFilter | None) -> TimerFilter:
    if given is None:
        return TimerFilter()
    return TimerFilter(
        states=list(given.state) if given.state else None, due_before=given.due_before,
        channels=[c.value for c in given.channel] if given.channel else None,
        appeal_types=[t.value for t in given.type] if given.type else None,
        kinds=given.kind or None, assignee=given.assignee,
        appeal_number=given.appeal_number, account_number=given.account_number,
    )
