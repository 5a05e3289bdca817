"""Reading the SLA timers: an appeal's timers, the supervisor's filtered list by due time.

A running timer's state depends on the moment asked (`now`): it is worked out here, in SQL
for filters and in `Timer.state` for answers; both say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection, sql
from psycopg.rows import dict_row

from domain.sla_timer import Timer, TimerState
from projections.sla_timer_store import TIMER_FIELDS

_SUBJECT_FIELDS = (
    "account_number", "appeal_number", "interaction_id", "channel", "appeal_type", "assignee")
_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, (*TIMER_FIELDS, *_SUBJECT_FIELDS)))
_OPEN = frozenset({TimerState.RUNNING, TimerState.AT_RISK})

STATE_AT = sql.SQL(
    "CASE WHEN outcome IS NOT NULL THEN outcome"
    " WHEN breach_recorded OR (paused_since IS NULL AND due_at <= %(now)s) THEN 'breached'"
    " WHEN cardinality(warned_shares) > 0"
    "  OR (paused_since IS NULL AND warn_instants[1] <= %(now)s) THEN 'at_risk'"
    " ELSE 'running' END"
)
"""`Timer.state(now)` in SQL."""


@dataclass(frozen=True)
class TimerView:
    """A timer with what it is about."""

    timer: Timer
    account_number: str
    appeal_number: str | None
    interaction_id: UUID | None
    channel: str
    appeal_type: str | None
    assignee: str | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> TimerView:
        """From a row of `sla_timers`."""
        timer = Timer(**{f: row[f] for f in TIMER_FIELDS})
        return cls(timer=timer, **{f: row[f] for f in _SUBJECT_FIELDS})


@dataclass(frozen=True, kw_only=True)
class TimerFilter:
    """Which timers a supervisor wants; every condition given must hold."""

    states: list[TimerState] | None = None
    due_before: datetime | None = None
    channels: list[str] | None = None
    appeal_types: list[str] | None = None
    kinds: list[str] | None = None
    assignee: str | None = None
    appeal_number: str | None = None
    account_number: str | None = None


def read_appeal_timers(conn: Connection[Any], appeal_number: str) -> list[TimerView]:
    """Every timer of an appeal, stopped ones included, in the order they started."""
    query = sql.SQL(
        "SELECT {} FROM sla_timers WHERE appeal_number = %s ORDER BY started_at, timer_id"
    ).format(_COLUMNS)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, (appeal_number,)).fetchall()
    return [TimerView.of(row) for row in rows]


def read_timers(
    conn: Connection[Any], flt: TimerFilter, now: datetime, first: int,
    after: tuple[datetime, str] | None = None,
) -> list[TimerView]:
    """A page of timers in the state they have at `now`, soonest due first."""
    where, params = _conditions(flt, now)
    if after is not None:
        where.append(sql.SQL("(due_at, timer_id) > (%(after_due)s, %(after_id)s)"))
        params |= {"after_due": after[0], "after_id": after[1]}
    query = sql.SQL(
        "SELECT {} FROM sla_timers WHERE {} ORDER BY due_at, timer_id LIMIT %(first)s"
    ).format(_COLUMNS, sql.SQL(" AND ").join(where))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params | {"first": first}).fetchall()
    return [TimerView.of(row) for row in rows]


def _conditions(flt: TimerFilter, now: datetime) -> tuple[list[sql.Composable], dict[str, Any]]:
    where: list[sql.Composable] = [sql.SQL("true")]
    params: dict[str, Any] = {"now": now}
    if flt.states:
        if set(flt.states) <= _OPEN:
            where.append(sql.SQL("outcome IS NULL"))  # lets the open-timers index serve
        where.append(sql.SQL("({}) = ANY(%(states)s)").format(STATE_AT))
        params["states"] = [str(s) for s in flt.states]
    for name, column in (("channels", "channel"), ("appeal_types", "appeal_type"),
                         ("kinds", "kind")):
        if getattr(flt, name):
            where.append(sql.SQL("{} = ANY({})").format(
                sql.Identifier(column), sql.Placeholder(name)))
            params[name] = getattr(flt, name)
    for name, clause in (("due_before", "due_at < %(due_before)s"),
                         ("assignee", "assignee = %(assignee)s"),
                         ("appeal_number", "appeal_number = %(appeal_number)s"),
                         ("account_number", "account_number = %(account_number)s")):
        if getattr(flt, name) is not None:
            where.append(sql.SQL(clause))
            params[name] = getattr(flt, name)
    return where, params


def read_marks_due(
    conn: Connection[Any], now: datetime, limit: int, after: tuple[datetime, str] | None = None
) -> list[TimerView]:
    """The SLA clock's scan: timers with a warning or breach to record by `now`, earliest first."""
    params: dict[str, Any] = {"now": now, "limit": limit}
    where: sql.Composable = sql.SQL("next_mark_at IS NOT NULL AND next_mark_at <= %(now)s")
    if after is not None:
        where += sql.SQL(" AND (next_mark_at, timer_id) > (%(after_at)s, %(after_id)s)")
        params |= {"after_at": after[0], "after_id": after[1]}
    query = sql.SQL(
        "SELECT {}, next_mark_at FROM sla_timers WHERE {}"
        " ORDER BY next_mark_at, timer_id LIMIT %(limit)s"
    ).format(_COLUMNS, where)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return [TimerView.of(row) for row in rows]
