"""When each service takes clients (8.2.4, 7.1.1, 9.1.5), on the production calendar.

A working Saturday of the calendar (e.g. 2025-11-01) counts as a weekday; public holidays and
substituted days off are closed. Hours are local to the office's calendar (its timezone).
Offices and the online office publish their own hours (5.3.2): the defaults here are to be
replaced by configuration, which can decode `ServiceHours` from JSON with msgspec.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated

import msgspec

from domain.calendar import BusinessCalendar

_SATURDAY = 5
_SEARCH_DAYS = 400

DayOfMonth = Annotated[int, msgspec.Meta(ge=1, le=31)]


class Hours(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Opening and closing time of one day, on the office's clock."""

    opens: time
    closes: time

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(f"closes {self.closes} is not after opens {self.opens}")


class ServiceHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """When a service is open: on working days, and on some ordinary Saturdays of a month."""

    name: str
    working_days: Hours | None
    saturdays: Hours | None = None
    saturdays_from_day: DayOfMonth = 1
    saturdays_to_day: DayOfMonth = 31

    def hours_on(self, d: date, calendar: BusinessCalendar) -> Hours | None:
        """The hours of one day, or None when the service is closed all day."""
        if calendar.is_working_day(d):
            return self.working_days
        if d.weekday() == _SATURDAY and not calendar.is_holiday(d):
            in_range = self.saturdays_from_day <= d.day <= self.saturdays_to_day
            return self.saturdays if in_range else None
        return None


def _hours(opens: int, closes: int) -> Hours:
    return Hours(time(opens), time(closes))


CONTACT_CENTRE_INDIVIDUALS = ServiceHours(
    name="contact_centre_individuals",
    working_days=_hours(8, 18),
    saturdays=_hours(8, 17),
    saturdays_from_day=15,
    saturdays_to_day=25,
)
"""Operators for individuals: weekdays 8–18; on the 15th–25th also Saturdays 8–17 (8.2.4)."""

CONTACT_CENTRE_LEGAL_ENTITIES = ServiceHours(
    name="contact_centre_legal_entities", working_days=_hours(9, 18)
)
"""Operators for legal entities: weekdays 9–18 (8.2.4)."""

OFFICE = ServiceHours(name="office", working_days=_hours(9, 18))
"""A customer service office (ЦОК): placeholder hours, each office configures its own."""

ONLINE_OFFICE = ServiceHours(name="online_office", working_days=_hours(8, 18))
"""The online office's operators: placeholder hours until configured (9.1.5)."""

DEFAULT_SERVICE_HOURS: dict[str, ServiceHours] = {
    s.name: s
    for s in (CONTACT_CENTRE_INDIVIDUALS, CONTACT_CENTRE_LEGAL_ENTITIES, OFFICE, ONLINE_OFFICE)
}
"""Every service's hours by name, to be overridden by configuration."""


def is_open(service: ServiceHours, instant: datetime, calendar: BusinessCalendar) -> bool:
    """Whether an operator of the service can take the client at this instant."""
    local = calendar.local(instant)
    hours = service.hours_on(local.date(), calendar)
    return hours is not None and hours.opens <= local.time() < hours.closes


def next_opening(service: ServiceHours, instant: datetime, calendar: BusinessCalendar) -> datetime:
    """When the service next takes clients (the instant itself if open): the auto-reply's time."""
    local = calendar.local(instant)
    for offset in range(_SEARCH_DAYS):
        day = local.date() + timedelta(days=offset)
        hours = service.hours_on(day, calendar)
        if hours is None:
            continue
        opens = datetime.combine(day, hours.opens, tzinfo=calendar.tz)
        closes = datetime.combine(day, hours.closes, tzinfo=calendar.tz)
        if local < closes:
            return max(local, opens)
    raise ValueError(f"{service.name} does not open within {_SEARCH_DAYS} days of {instant}")
