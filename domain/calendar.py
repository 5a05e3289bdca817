"""The Russian production calendar and term counting (Civil Code articles 191 and 193).

Working days come from the `holidays` package: weekends and public holidays are days off,
substituted days off (e.g. 2025-11-03) are days off, and weekend days the calendar makes
working days (e.g. Saturday 2025-11-01) are working days.

Working time inside a term is counted in working days by clock time: each working day weighs
1 over its 24 local hours, days off weigh nothing. Three hours into a working day is
0.125 working days; a Sunday adds nothing. Simple, and exact at day boundaries, which is
where deadlines fall.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

_DAY = timedelta(days=1)


class BusinessCalendar:
    """Which days count for a term, and where a day ends, in one office's timezone."""

    def __init__(self, tz: str = "Europe/Moscow") -> None:
        self.tz = ZoneInfo(tz)
        self._days_off = holidays.country_holidays("RU")

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.tz.key!r})"

    def is_working_day(self, d: date) -> bool:
        """A day of the production calendar on which terms run (working Saturdays included)."""
        return bool(self._days_off.is_working_day(d))

    def is_holiday(self, d: date) -> bool:
        """A public holiday or substituted day off, as opposed to an ordinary weekend."""
        return d in self._days_off

    def next_working_day(self, d: date) -> date:
        """The first working day after `d`: when deferred work is taken up again."""
        d += _DAY
        while not self.is_working_day(d):
            d += _DAY
        return d

    def add_working_days(self, received: date, n: int) -> date:
        """The last day of an n-working-day term; counting starts the day after receipt."""
        _check_term(n)
        for _ in range(n):
            received = self.next_working_day(received)
        return received

    def add_calendar_days(self, received: date, n: int) -> date:
        """The last day of an n-calendar-day term, moved to the next working day if off."""
        _check_term(n)
        last = received + timedelta(days=n)
        return last if self.is_working_day(last) else self.next_working_day(last)

    def start_of_day(self, d: date) -> datetime:
        """00:00 local of the day, timezone-aware."""
        return datetime.combine(d, time(), tzinfo=self.tz)

    def end_of_day(self, d: date) -> datetime:
        """Where a deadline falls: 24:00 local of the day, which is 00:00 of the next day."""
        return self.start_of_day(d + _DAY)

    def local_date(self, instant: datetime) -> date:
        """The office's calendar day of an instant: 23:30 in Moscow is 20:30 UTC, same day."""
        return self.local(instant).date()

    def local(self, instant: datetime) -> datetime:
        """The instant on the office's clock; a naive datetime is refused, never guessed."""
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError(f"instant {instant.isoformat()} has no timezone")
        return instant.astimezone(self.tz)

    def working_days_between(self, start: datetime, end: datetime) -> float:
        """Working time from `start` to `end`, in working days; 0 if `end` is not later."""
        start, end = self.local(start), self.local(end)
        total = 0.0
        day = start.date()
        while self.start_of_day(day) < end:
            if self.is_working_day(day):
                total += self._share_of_day(day, start, end)
            day += _DAY
        return total

    def after_working_days(self, start: datetime, amount: float) -> datetime:
        """The instant at which `amount` working days of working time have passed since `start`."""
        if amount < 0:
            raise ValueError(f"working time must not be negative, got {amount}")
        start = self.local(start)
        day = start.date()
        while True:
            if self.is_working_day(day):
                opens = max(start, self.start_of_day(day))
                length = self.end_of_day(day) - self.start_of_day(day)
                available = (self.end_of_day(day) - opens) / length
                if amount <= available:
                    return opens + length * amount
                amount -= available
            day += _DAY

    def _share_of_day(self, day: date, start: datetime, end: datetime) -> float:
        """The part of one day, by clock time, that lies between `start` and `end`."""
        begins, ends = self.start_of_day(day), self.end_of_day(day)
        overlap = min(end, ends) - max(start, begins)
        return max(overlap / (ends - begins), 0.0)


def _check_term(n: int) -> None:
    """A term of no days would be due before it starts: refuse it."""
    if n < 1:
        raise ValueError(f"a term must be at least 1 day, got {n}")
