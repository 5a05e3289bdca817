"""Queries of SLA timers: the supervisor's list by due time, and the timeliness report."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

import strawberry

from api.graphql.context import Context
from api.graphql.pagination import page_size
from api.graphql.sla.types import (
    SlaTimerConnection,
    SlaTimerFilter,
    TimelinessPeriod,
    TimelinessRow,
    decode_due,
)
from domain.errors import ValidationError
from projections.sla_timeliness import Period, read_timeliness
from projections.sla_timer_queries import TimerFilter, read_timers


@strawberry.type
class SlaQueries:
    @strawberry.field(description="Timers soonest due first, filtered: the about-to-be-late list.")
    async def sla_timers(
        self,
        info: strawberry.Info[Context, None],
        filter: SlaTimerFilter | None = None,
        first: int = 50,
        after: str | None = None,
    ) -> SlaTimerConnection:
        info.context.require("slaTimers")
        size, now = page_size(first), datetime.now(UTC)
        rows = await info.context.read(read_timers, _filter(filter), now, size + 1,
                                       decode_due(after))
        return SlaTimerConnection.of(rows, size, now, info.context.services.calendar)

    @strawberry.field(description="Share of timers met on time by channel and appeal type "
                                  "(12.2.3), for timers due from `from` to `to` inclusive.")
    async def timeliness(
        self,
        info: strawberry.Info[Context, None],
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        period: TimelinessPeriod = Period.WHOLE,
    ) -> list[TimelinessRow]:
        info.context.require("timeliness")
        if to < from_:
            raise ValidationError("to must not be before from", field="to")
        now = datetime.now(UTC)
        rows = await info.context.read(read_timeliness, from_, to, now, Period(period))
        return [TimelinessRow.of(row) for row in rows]


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
