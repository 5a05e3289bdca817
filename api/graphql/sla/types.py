"""The SLA timer types of API.md: SlaTimer, TimerState, the filter, the page, the report row."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from api.graphql import enums  # noqa: F401 (registers Channel and AppealType)
from api.graphql.pagination import PageInfo, decode, encode
from domain import sla_timer as st
from domain import values as v
from domain.calendar import BusinessCalendar
from domain.errors import ValidationError
from projections import sla_timeliness as rep
from projections.sla_timer_queries import TimerView

strawberry.enum(st.TimerState, description="Where an SLA timer stands.")
strawberry.enum(
    rep.Period, name="TimelinessPeriod", description="How the report splits its dates."
)


@strawberry.type(description="An SLA timer of an appeal or a contact (SLA.md).")
class SlaTimer:
    id: strawberry.ID = strawberry.field(description="Subject, timer kind, starting event.")
    kind: str = strawberry.field(description='The timer id of SLA.md, e.g. "interactive.answer".')
    policy_version: str = strawberry.field(description="The SLA policy that started it.")
    account_number: str
    appeal_number: str | None
    interaction_id: strawberry.ID | None = strawberry.field(description="For contact timers.")
    channel: v.Channel
    appeal_type: v.AppealType | None
    assignee: str | None
    started_at: datetime = strawberry.field(description="When the term began to run.")
    due_date: date = strawberry.field(description="The last day of the term, office time.")
    due_at: datetime = strawberry.field(description="The instant the term ends.")
    state: st.TimerState = strawberry.field(description="As of the moment asked.")
    met_at: datetime | None = strawberry.field(description="When it was met, if it was.")
    stopped_at: datetime | None = strawberry.field(description="When it was met or cancelled.")
    at_risk_since: datetime | None = strawberry.field(description="First warning recorded.")
    breach_recorded: bool = strawberry.field(description="The SlaBreached event is stored.")
    paused: bool = strawberry.field(description="In a status the policy pauses it in.")
    remaining_hours: float | None = strawberry.field(
        description="Hours left, negative when overdue; null once stopped.")
    remaining_working_days: float | None = strawberry.field(
        description="Working time left, in working days; null once stopped.")

    @classmethod
    def of(cls, view: TimerView, now: datetime, calendar: BusinessCalendar) -> SlaTimer:
        """From a read-model row, as it stands at `now`, with instants in office time."""
        t, local = view.timer, calendar.local
        remaining = t.remaining(now, calendar)
        warned = [i for s, i in zip(t.warn_shares, t.warn_instants, strict=True)
                  if s in t.warned_shares]
        return cls(
            id=strawberry.ID(t.timer_id), kind=t.kind, policy_version=t.policy_version,
            account_number=view.account_number, appeal_number=view.appeal_number,
            interaction_id=None if view.interaction_id is None else strawberry.ID(
                str(view.interaction_id)),
            channel=v.Channel(view.channel),
            appeal_type=None if view.appeal_type is None else v.AppealType(view.appeal_type),
            assignee=view.assignee, started_at=local(t.started_at), due_date=t.due_date,
            due_at=local(t.due_at), state=t.state(now),
            met_at=None if t.met_at is None else local(t.met_at),
            stopped_at=None if t.stopped_at is None else local(t.stopped_at),
            at_risk_since=local(min(warned)) if warned else None,
            breach_recorded=t.breach_recorded, paused=t.paused_since is not None,
            remaining_hours=None if remaining is None else remaining[0],
            remaining_working_days=None if remaining is None else remaining[1],
        )


@strawberry.input(description="Which timers to list; every condition given must hold.")
class SlaTimerFilter:
    state: list[st.TimerState] | None = strawberry.field(default=None, description="As of now.")
    due_before: datetime | None = strawberry.field(default=None, description="Exclusive.")
    channel: list[v.Channel] | None = None
    type: list[v.AppealType] | None = None
    kind: list[str] | None = None
    assignee: str | None = None
    appeal_number: str | None = None
    account_number: str | None = None


@strawberry.type
class SlaTimerEdge:
    cursor: str
    node: SlaTimer


@strawberry.type(description="A page of timers, soonest due first.")
class SlaTimerConnection:
    edges: list[SlaTimerEdge]
    page_info: PageInfo

    @classmethod
    def of(
        cls, rows: list[TimerView], size: int, now: datetime, calendar: BusinessCalendar
    ) -> SlaTimerConnection:
        """A page from up to size+1 rows (the extra one says there is more)."""
        edges = [
            SlaTimerEdge(cursor=encode(r.timer.due_at.isoformat(), r.timer.timer_id),
                         node=SlaTimer.of(r, now, calendar))
            for r in rows[:size]
        ]
        end = edges[-1].cursor if edges else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size, end_cursor=end))


def decode_due(cursor: str | None) -> tuple[datetime, str] | None:
    """A timers cursor: due instant and id of the last timer seen."""
    if cursor is None:
        return None
    due_at, timer_id = decode(cursor, 2)
    try:
        return datetime.fromisoformat(due_at), timer_id
    except ValueError:
        raise ValidationError("after is not a cursor from this API", field="after") from None


@strawberry.type(description="Timeliness (12.2.3) of one channel and appeal type in a period.")
class TimelinessRow:
    period_start: date
    period_end: date
    channel: v.Channel
    appeal_type: v.AppealType | None = strawberry.field(description="Null for contact timers.")
    met: int = strawberry.field(description="Stopped by the due moment.")
    breached: int = strawberry.field(description="Stopped later, or due passed unstopped.")
    open: int = strawberry.field(description="Running and not yet due.")
    cancelled: int = strawberry.field(description="Cancelled before the due moment.")
    decided: int = strawberry.field(description="met + breached.")
    share: float | None = strawberry.field(description="met / decided; null if none decided.")

    @classmethod
    def of(cls, row: rep.TimelinessRow) -> TimelinessRow:
        """From a report row."""
        return cls(
            period_start=row.period_start, period_end=row.period_end,
            channel=v.Channel(row.channel),
            appeal_type=None if row.appeal_type is None else v.AppealType(row.appeal_type),
            met=row.met, breached=row.breached, open=row.open, cancelled=row.cancelled,
            decided=row.decided, share=row.share,
        )
