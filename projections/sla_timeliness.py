"""Timeliness (исполнительность, 12.2.3): the share of timers met on time, by channel and type.

A timer counts in the period its term ends in (its due date, office time). It is met when it
stopped by its due moment, breached when it stopped later or its due moment passed
unstopped; open timers not yet due and cancelled ones are counted apart, outside the share.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from psycopg import Connection, sql
from psycopg.rows import dict_row

from projections.sla_timer_queries import STATE_AT


class Period(StrEnum):
    """How the report splits the dates asked for."""

    WHOLE = "whole"
    MONTH = "month"
    WEEK = "week"
    DAY = "day"


_BUCKET = {
    Period.WHOLE: sql.SQL("%(from)s::date"),
    Period.MONTH: sql.SQL("date_trunc('month', due_date)::date"),
    Period.WEEK: sql.SQL("date_trunc('week', due_date)::date"),
    Period.DAY: sql.SQL("due_date"),
}


@dataclass(frozen=True)
class TimelinessRow:
    """Counts of one channel and appeal type (None: contacts) in one period."""

    period_start: date
    period_end: date
    channel: str
    appeal_type: str | None
    met: int
    breached: int
    open: int
    cancelled: int

    @property
    def decided(self) -> int:
        """Timers met or breached: the base of the share."""
        return self.met + self.breached

    @property
    def share(self) -> float | None:
        """Met on time out of those decided; None when none is decided yet."""
        return self.met / self.decided if self.decided else None


def read_timeliness(
    conn: Connection[Any], start: date, end: date, now: datetime, period: Period = Period.WHOLE
) -> list[TimelinessRow]:
    """The report for due dates from `start` to `end` inclusive, as things stand at `now`."""
    query = sql.SQL(
        "SELECT {} AS period_start, channel, appeal_type,"
        " count(*) FILTER (WHERE state = 'met') AS met,"
        " count(*) FILTER (WHERE state = 'breached') AS breached,"
        " count(*) FILTER (WHERE state IN ('running', 'at_risk')) AS open,"
        " count(*) FILTER (WHERE state = 'cancelled') AS cancelled"
        " FROM (SELECT due_date, channel, appeal_type, {} AS state FROM sla_timers"
        "  WHERE due_date BETWEEN %(from)s AND %(to)s) AS t"
        " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3 NULLS FIRST"
    ).format(_BUCKET[period], STATE_AT)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, {"from": start, "to": end, "now": now}).fetchall()
    return [
        TimelinessRow(
            period_start=max(row["period_start"], start),
            period_end=min(_period_end(row["period_start"], period, end), end),
            **{k: row[k] for k in ("channel", "appeal_type", "met", "breached", "open",
                                   "cancelled")},
        )
        for row in rows
    ]


def _period_end(begins: date, period: Period, end: date) -> date:
    if period is Period.DAY:
        return begins
    if period is Period.WEEK:
        return begins + timedelta(days=6)
    if period is Period.MONTH:
        following = date(begins.year + begins.month // 12, begins.month % 12 + 1, 1)
        return following - timedelta(days=1)
    return end
