"""How an account's events start, stop, pause and mark its SLA timers (SLA.md).

The policy's rules say which event starts a timer and which stop or cancel it; beyond them,
an answer or a closing meets every timer of the appeal, and leaving it without consideration
cancels them. `TimerFollower` applies these steps to one account's stream in memory, for the
as-of replay; the timers read model applies the same functions to its rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.calendar import BusinessCalendar
from domain.events import AppealEvent
from domain.sla_rules import CountedFrom, SlaPolicy, TimerRule
from domain.sla_timer import Mark, Timer, TimerState
from domain.values import Channel, Direction

if TYPE_CHECKING:
    from domain.appeal import Appeal

MET_BY_ANY = ("AppealAnswered", "AppealClosed")
CANCELLED_BY_ANY = ("AppealLeftWithoutConsideration",)
CALLBACK_AGREED, CALLBACK_MADE = "CallbackAgreed", "CallbackMade"
"""A contact with an agreed moment starts call-back timers; a later outbound one meets them."""


def stop_if_named(
    timer: Timer, rule: TimerRule | None, event_name: str, at: datetime,
    calendar: BusinessCalendar,
) -> bool:
    """Stop the timer if its rule (or, for any appeal, the final steps) name the event."""
    stops, cancels = (rule.stops_on, rule.cancelled_on) if rule else ((), ())
    if event_name in stops or (event_name in MET_BY_ANY and event_name not in cancels):
        timer.stop(at, met=True, calendar=calendar)
    elif event_name in cancels or event_name in CANCELLED_BY_ANY:
        timer.stop(at, met=False, calendar=calendar)
    else:
        return False
    return True


def met_after_cancel(
    timer: Timer, rule: TimerRule | None, event_name: str, at: datetime,
    calendar: BusinessCalendar,
) -> bool:
    """Meet a cancelled timer whose rule lets a later stop event meet it (a survey recorded
    not sent, then sent: its send was in flight); False if it does not apply."""
    if (timer.outcome != TimerState.CANCELLED or rule is None or not rule.met_after_cancel
            or event_name not in rule.stops_on):
        return False
    timer.stop(at, met=True, calendar=calendar)
    return True


def pause_or_resume(
    timer: Timer, rule: TimerRule | None, status: str, at: datetime, calendar: BusinessCalendar
) -> None:
    """The appeal moved to a status: the timer pauses if its rule says so, else runs on."""
    if rule is not None and status in rule.pauses_in:
        timer.pause(at)
    else:
        timer.resume(at, calendar)


def timer_id(subject: str, rule: TimerRule, version: int) -> str:
    """Deterministic: the appeal or contact, the rule, and the stream version that started it."""
    return f"{subject}/{rule.id}/{version}"


@dataclass(frozen=True)
class Followed:
    """A timer and what it is about: an appeal or a contact, on a channel."""

    timer: Timer
    channel: Channel
    appeal_number: str | None = None
    interaction_id: UUID | None = None


class TimerFollower:
    """An account's timers as its events, applied in stream order, made them."""

    def __init__(self, policy: SlaPolicy, calendar: BusinessCalendar) -> None:
        self.policy, self.calendar = policy, calendar
        self.timers: dict[str, Followed] = {}
        self._rules = {rule.id: rule for rule in policy.rules}
        self._stop_names = {n for r in policy.rules for n in (*r.stops_on, *r.cancelled_on)}

    def apply(self, name: str, event: Any, appeals: dict[str, Appeal]) -> None:
        """One event, after the account applied it (`appeals` show its effect)."""
        if name == "AppealRegistered":
            self._start(name, event, appeals[event.appeal_number], event.received_at)
        elif isinstance(event, AppealEvent):
            appeal = appeals[event.appeal_number]
            for timer in self._open(lambda f: f.appeal_number == appeal.number):
                if not self._stop(timer, name, event.at):
                    pause_or_resume(timer, self._rules.get(timer.kind), appeal.status,
                                    event.at, self.calendar)
            self._start(name, event, appeal, event.at)
        elif name == "InteractionRecorded":
            self._contact(name, event)
        elif name in ("SlaAtRisk", "SlaBreached") and event.timer_id in self.timers:
            self.timers[event.timer_id].timer.record(
                Mark(getattr(event, "threshold", None), event.at))
        elif name in self._stop_names:
            self._stopped_elsewhere(name, event)

    def _open(self, about: Any) -> list[Timer]:
        return [f.timer for f in self.timers.values() if f.timer.outcome is None and about(f)]

    def _cancelled(self, about: Any) -> list[Timer]:
        return [f.timer for f in self.timers.values()
                if f.timer.outcome == TimerState.CANCELLED and about(f)]

    def _stop(self, timer: Timer, name: str, at: datetime) -> bool:
        return stop_if_named(timer, self._rules.get(timer.kind), name, at, self.calendar)

    def _start(self, name: str, event: Any, appeal: Appeal, at: datetime) -> None:
        for rule in self.policy.rules_for(name, appeal.channel, appeal.appeal_type, appeal.form):
            started = appeal.received_at if rule.counted_from is CountedFrom.RECEIPT else at
            timer = self._new(appeal.number, rule, event, started)
            if appeal.status in rule.pauses_in:
                timer.pause(at)
            self._add(Followed(timer, appeal.channel, appeal_number=appeal.number))

    def _contact(self, name: str, event: Any) -> None:
        channel, at = Channel(event.channel), event.occurred_at
        if event.direction == Direction.OUTBOUND:
            for timer in self._open(lambda f: f.channel == channel):
                if at >= timer.started_at:
                    self._stop(timer, CALLBACK_MADE, at)
        starts: list[tuple[str, datetime | None]] = []
        if event.direction == Direction.INBOUND:
            starts.append((name, None))
        if event.callback_at is not None:
            starts.append((CALLBACK_AGREED, event.callback_at))
        for start, agreed_at in starts:
            for rule in self.policy.rules_for(start, channel):
                timer = self._new(str(event.interaction_id), rule, event, event.ended,
                                  agreed_at)
                self._add(Followed(timer, channel, interaction_id=event.interaction_id))

    def _stopped_elsewhere(self, name: str, event: Any) -> None:
        """An event named by a rule, such as a survey sent, stops its appeal's or contact's."""
        number = getattr(event, "appeal_number", None)
        interaction = getattr(event, "interaction_id", None)
        if number or interaction:
            mine = (lambda f: f.appeal_number == number) if number else (
                lambda f: f.interaction_id == interaction)
            for timer in self._open(mine):
                self._stop(timer, name, event.at)
            for timer in self._cancelled(mine):
                met_after_cancel(timer, self._rules.get(timer.kind), name, event.at,
                                 self.calendar)

    def _new(
        self, subject: str, rule: TimerRule, event: Any, started: datetime,
        agreed_at: datetime | None = None,
    ) -> Timer:
        return Timer.start(timer_id(subject, rule, event.originator_version), rule,
                           self.policy.version, started, self.calendar, agreed_at)

    def _add(self, followed: Followed) -> None:
        self.timers.setdefault(followed.timer.timer_id, followed)
