"""One SLA timer as SLA.md describes it: started, due, warned, paused, met or breached.

Pure: every instant is passed in. The timers read model keeps one of these per row, and the
SLA clock asks it which warnings and breach are owed by now.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.calendar import BusinessCalendar
from domain.sla import due, warning_instants
from domain.sla_rules import TermUnit, TimerRule


class TimerState(StrEnum):
    """Where a timer stands (API.md `TimerState`)."""

    RUNNING = "running"
    AT_RISK = "at_risk"
    MET = "met"
    BREACHED = "breached"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Mark:
    """A moment the account must record once: a warning share passed, or the breach (None)."""

    threshold: float | None
    at: datetime


@dataclass
class Timer:
    """A timer's term and how it went; `outcome` is set once it stops."""

    timer_id: str
    kind: str
    policy_version: str
    unit: str
    term: int
    started_at: datetime
    due_date: date
    due_at: datetime
    warn_shares: list[float]
    warn_instants: list[datetime]
    warned_shares: list[float] = field(default_factory=list)
    breach_recorded: bool = False
    outcome: str | None = None
    stopped_at: datetime | None = None
    met_at: datetime | None = None
    paused_since: datetime | None = None
    paused_seconds: float = 0.0

    @classmethod
    def start(
        cls, timer_id: str, rule: TimerRule, policy_version: str, started_at: datetime,
        calendar: BusinessCalendar, agreed_at: datetime | None = None,
    ) -> Timer:
        """A timer of the rule, due and warning as the policy that starts it says."""
        due_date, due_at = due(rule, started_at, calendar, agreed_at)
        return cls(
            timer_id=timer_id, kind=rule.id, policy_version=policy_version, unit=rule.unit,
            term=rule.term, started_at=started_at, due_date=due_date, due_at=due_at,
            warn_shares=list(rule.warn_at),
            warn_instants=warning_instants(rule, started_at, calendar, agreed_at),
        )

    def stop(self, at: datetime, *, met: bool, calendar: BusinessCalendar) -> None:
        """Met (or cancelled) at a moment; after the due moment it counts as breached.

        A breach already recorded stands, even if the stop is then dated before the due
        moment: the report counts what the account's stream says."""
        if self.paused_since is not None:
            self.resume(at, calendar)
        self.stopped_at = at
        self.met_at = at if met else None
        late = at > self.due_at or self.breach_recorded
        self.outcome = TimerState.BREACHED if late else (
            TimerState.MET if met else TimerState.CANCELLED)

    def pause(self, at: datetime) -> None:
        """The appeal entered a status the policy pauses this timer in. Not once its term
        has run out: a pause after the due moment (the clock not yet having recorded the
        breach) would move the term and revive a timer already breached."""
        if self.outcome is None and self.paused_since is None and at < self.due_at:
            self.paused_since = at

    def resume(self, at: datetime, calendar: BusinessCalendar) -> None:
        """The pause ends: the term, and the warnings not yet given, move on by the time
        paused, in the term's own unit."""
        if self.paused_since is None:
            return
        paused = max(at - self.paused_since, timedelta(0))
        days_before = _whole_days(self.paused_seconds)
        self.paused_seconds += paused.total_seconds()
        if self.unit == TermUnit.WORKING_DAYS:
            days = math.ceil(calendar.working_days_between(self.paused_since, at))
            self.due_date = _add_working(calendar, self.due_date, days)
            self._move_warnings(lambda t: calendar.after_working_days(t, days))
        elif self.unit == TermUnit.CALENDAR_DAYS:
            # from the term's own last day, not from one already moved off a day off
            days = _whole_days(self.paused_seconds)
            self.due_date = calendar.add_calendar_days(
                calendar.local_date(self.started_at), self.term + days)
            self._move_warnings(lambda t: t + timedelta(days=days - days_before))
        else:
            self.due_at += paused
            self.due_date = calendar.local_date(self.due_at)
            self._move_warnings(lambda t: t + paused)
        if self.unit in (TermUnit.WORKING_DAYS, TermUnit.CALENDAR_DAYS):
            self.due_at = calendar.end_of_day(self.due_date)
        self.paused_since = None

    def _move_warnings(self, move: Callable[[datetime], datetime]) -> None:
        self.warn_instants = [
            t if s in self.warned_shares else move(t)
            for s, t in zip(self.warn_shares, self.warn_instants, strict=True)
        ]

    def record(self, mark: Mark) -> None:
        """The account has recorded this mark: it is not owed again."""
        if mark.threshold is None:
            self.breach_recorded = True
            if self.outcome is not None:
                self.outcome = TimerState.BREACHED
        elif mark.threshold not in self.warned_shares:
            self.warned_shares.append(mark.threshold)

    def marks(self) -> list[Mark]:
        """Every mark still to be recorded, whenever it falls, earliest first."""
        if self.paused_since is not None:
            return []
        pending = [
            Mark(s, t) for s, t in zip(self.warn_shares, self.warn_instants, strict=True)
            if s not in self.warned_shares and self._running_at(t)
        ]
        if not self.breach_recorded and self._running_at(self.due_at):
            pending.append(Mark(None, self.due_at))
        return sorted(pending, key=lambda m: m.at)

    def owed(self, now: datetime) -> list[Mark]:
        """The marks whose moment has passed by `now`."""
        return [m for m in self.marks() if m.at <= now]

    def next_mark_at(self) -> datetime | None:
        """When the next mark falls due (None: nothing more to record)."""
        pending = self.marks()
        return pending[0].at if pending else None

    def _running_at(self, moment: datetime) -> bool:
        """A mark is owed only if the timer still ran then (met at the due moment is met)."""
        return self.stopped_at is None or moment < self.stopped_at

    def state(self, now: datetime) -> TimerState:
        """The state at `now`: a stopped timer's outcome, else by the moments passed."""
        if self.outcome is not None:
            return TimerState(self.outcome)
        running = self.paused_since is None
        if self.breach_recorded or (running and now >= self.due_at):
            return TimerState.BREACHED
        first_warning = self.warn_instants[0] if self.warn_instants else None
        if self.warned_shares or (running and first_warning is not None and now >= first_warning):
            return TimerState.AT_RISK
        return TimerState.RUNNING

    def remaining(self, now: datetime, calendar: BusinessCalendar) -> tuple[float, float] | None:
        """Time left (negative when overdue) in hours and in working days; None once stopped."""
        if self.outcome is not None:
            return None
        now = self.paused_since or now
        hours = (self.due_at - now) / timedelta(hours=1)
        if now <= self.due_at:
            return hours, calendar.working_days_between(now, self.due_at)
        return hours, -calendar.working_days_between(self.due_at, now)


def _add_working(calendar: BusinessCalendar, last: date, days: int) -> date:
    return calendar.add_working_days(last, days) if days > 0 else last


def _whole_days(seconds: float) -> int:
    """Time paused, rounded up to whole days, as a calendar-day term counts it."""
    return math.ceil(seconds / 86400)
