"""The SLA policy of SLA.md as data, and when a timer falls due and warns.

Pure: no clock reads (instants are passed in) and no I/O except `load_policy`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import msgspec

from domain.calendar import BusinessCalendar
from domain.sla_rules import CountedFrom, SlaPolicy, TermUnit, TimerRule
from domain.values import INTERACTIVE_CHANNELS, AppealForm, AppealType, Channel

__all__ = [
    "DEFAULT_POLICY",
    "CountedFrom",
    "SlaPolicy",
    "TermUnit",
    "TimerRule",
    "due",
    "load_policy",
    "warning_instants",
]

_INTERACTIVE = tuple(c for c in Channel if c in INTERACTIVE_CHANNELS)
_NOT_COMPLAINTS = tuple(t for t in AppealType if t is not AppealType.COMPLAINT)
_COMPLAINTS = (AppealType.COMPLAINT,)
_WRITTEN, _ELECTRONIC = (AppealForm.WRITTEN,), (AppealForm.ELECTRONIC,)
_WORKING, _CALENDAR = TermUnit.WORKING_DAYS, TermUnit.CALENDAR_DAYS
_HOURS, _AGREED = TermUnit.HOURS, TermUnit.AGREED
_RECEIPT = CountedFrom.RECEIPT
_ANSWERED = ("AppealAnswered",)
_NOT_CONSIDERED = ("AppealLeftWithoutConsideration",)
_TAKEN_UP = ("AppealAssigned", "ClarificationRequested", "AppealDeferred", "AppealExtended",
             *_ANSWERED)
"""A deferred appeal is taken up again by any step of work on it (9.1.5)."""

DEFAULT_POLICY = SlaPolicy(
    version="sla-md-default-3",
    rules=(
        TimerRule(id="written.registration", clause="8.4.10",
                  starts_on="AppealRegistered", forms=_WRITTEN,
                  term=1, unit=_WORKING, counted_from=_RECEIPT,
                  stops_on=("AppealAssigned", *_ANSWERED), cancelled_on=_NOT_CONSIDERED),
        TimerRule(id="written.answer", clause="8.4.3, 8.4.10",
                  starts_on="AppealRegistered", forms=_WRITTEN,
                  term=30, unit=_CALENDAR, counted_from=_RECEIPT,
                  stops_on=_ANSWERED, cancelled_on=_NOT_CONSIDERED),
        TimerRule(id="interactive.answer", clause="9.2.4",
                  starts_on="AppealRegistered", channels=_INTERACTIVE, forms=_ELECTRONIC,
                  appeal_types=_NOT_COMPLAINTS,
                  term=3, unit=_WORKING, counted_from=_RECEIPT,
                  stops_on=_ANSWERED, cancelled_on=("AppealExtended", *_NOT_CONSIDERED)),
        TimerRule(id="interactive.extended", clause="9.2.4",
                  starts_on="AppealExtended", channels=_INTERACTIVE, forms=_ELECTRONIC,
                  appeal_types=_NOT_COMPLAINTS,
                  term=10, unit=_WORKING, counted_from=_RECEIPT,
                  stops_on=_ANSWERED, cancelled_on=_NOT_CONSIDERED),
        TimerRule(id="complaint.answer", clause="9.2.4",
                  starts_on="AppealRegistered", channels=_INTERACTIVE, forms=_ELECTRONIC,
                  appeal_types=_COMPLAINTS,
                  term=30, unit=_CALENDAR, counted_from=_RECEIPT,
                  stops_on=_ANSWERED, cancelled_on=_NOT_CONSIDERED),
        TimerRule(id="survey.send", clause="6.1.6",
                  starts_on="InteractionRecorded",
                  channels=(Channel.PHONE, Channel.OFFICE, Channel.CHAT),
                  term=24, unit=_HOURS,
                  stops_on=("SurveySent",), cancelled_on=("SurveyNotSent",),
                  met_after_cancel=True),
        TimerRule(id="callback.agreed", clause="8.2.3, 8.2.8, 5.5.1.11",
                  starts_on="CallbackAgreed", channels=(Channel.PHONE, Channel.CHAT),
                  term=0, unit=_AGREED,
                  stops_on=("CallbackMade", *_ANSWERED)),
        TimerRule(id="deferred.resume", clause="9.1.5",
                  starts_on="AppealDeferred", channels=_INTERACTIVE,
                  term=1, unit=_WORKING,
                  stops_on=_TAKEN_UP, cancelled_on=_NOT_CONSIDERED),
    ),
)  # fmt: skip
"""SLA.md's timer table, rule for rule; timers start, stop and are cancelled on these events."""


def load_policy(path: str | Path) -> SlaPolicy:
    """The operator's policy from a JSON file shaped like `DEFAULT_POLICY`, fully validated."""
    try:
        return msgspec.json.decode(Path(path).read_bytes(), type=SlaPolicy)
    except msgspec.DecodeError as exc:
        raise type(exc)(f"SLA policy {path}: {exc}") from exc


def due(
    rule: TimerRule,
    started_at: datetime,
    calendar: BusinessCalendar,
    agreed_at: datetime | None = None,
) -> tuple[date, datetime]:
    """The last day of the term and the instant it ends (24:00 local for day terms)."""
    if rule.unit is TermUnit.HOURS:
        return _as_due(started_at.astimezone(UTC) + timedelta(hours=rule.term), calendar)
    if rule.unit is TermUnit.AGREED:
        return _as_due(_agreed(rule, agreed_at), calendar)
    received = calendar.local_date(started_at)
    if rule.unit is TermUnit.WORKING_DAYS:
        last = calendar.add_working_days(received, rule.term)
    else:
        last = calendar.add_calendar_days(received, rule.term)
    return last, calendar.end_of_day(last)


def warning_instants(
    rule: TimerRule,
    started_at: datetime,
    calendar: BusinessCalendar,
    agreed_at: datetime | None = None,
) -> list[datetime]:
    """When each warning share of the term has passed, measured in the term's own unit."""
    if rule.unit is TermUnit.WORKING_DAYS:
        origin = calendar.end_of_day(calendar.local_date(started_at))
        return [calendar.after_working_days(origin, s * rule.term) for s in rule.warn_at]
    if rule.unit is TermUnit.CALENDAR_DAYS:
        origin = calendar.end_of_day(calendar.local_date(started_at))
        return [origin + timedelta(days=s * rule.term) for s in rule.warn_at]
    start = calendar.local(started_at).astimezone(UTC)
    if rule.unit is TermUnit.HOURS:
        span = timedelta(hours=rule.term)
    else:
        span = _agreed(rule, agreed_at).astimezone(UTC) - start
    return [(start + span * s).astimezone(calendar.tz) for s in rule.warn_at]


def _as_due(instant: datetime, calendar: BusinessCalendar) -> tuple[date, datetime]:
    local = calendar.local(instant)
    return local.date(), local


def _agreed(rule: TimerRule, agreed_at: datetime | None) -> datetime:
    """A callback is due at the moment agreed with the client, which the caller must give."""
    if agreed_at is None:
        raise ValueError(f"rule {rule.id} is due at the agreed moment: pass agreed_at")
    return agreed_at
