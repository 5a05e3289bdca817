"""SLA timers: every timer of every appeal and contact, started, stopped and marked by events.

Deterministic for rebuilds: no clock reads (the remaining time is computed when read). The
policy given is the one that starts new timers and decides what stops or pauses them; each
timer keeps the version, term and warnings of the policy that started it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg import Cursor

from domain.appeal import ACTION_OF_EVENT, TRANSITIONS
from domain.calendar import BusinessCalendar
from domain.sla import DEFAULT_POLICY, CountedFrom, SlaPolicy, TimerRule
from domain.sla_follow import (
    CALLBACK_AGREED,
    CALLBACK_MADE,
    met_after_cancel,
    pause_or_resume,
    stop_if_named,
    timer_id,
)
from domain.sla_timer import Mark, Timer
from domain.values import AppealForm, AppealStatus, AppealType, Channel, Direction
from projections.base import LoggedEvent, event_time
from projections.page import RowSink
from projections.sla_timer_page import PageTimerStore
from projections.sla_timer_store import AppealFacts, Subject, TimerRows, TimerStore


class SlaTimersProjection:
    """Keeps `sla_timers` (one row a timer) and the appeals they follow."""

    name = "sla_timers"
    tables = ("sla_timers", "sla_timers_appeals")

    def __init__(
        self, policy: SlaPolicy = DEFAULT_POLICY, calendar: BusinessCalendar | None = None
    ) -> None:
        self.policy = policy
        self.calendar = calendar or BusinessCalendar()
        self._rules = {rule.id: rule for rule in policy.rules}
        self._stop_names = {n for r in policy.rules for n in (*r.stops_on, *r.cancelled_on)}
        self.event_types = frozenset({"AppealRegistered", "InteractionRecorded", "SlaAtRisk",
                                      "SlaBreached", *ACTION_OF_EVENT, *self._stop_names})
        """What a rebuild decodes (projections/page.py): the rest changes no timer."""

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Start, stop, pause or mark the timers an event concerns."""
        self._apply(TimerStore(cur), logged)

    def apply_page(self, sink: RowSink, page: Sequence[LoggedEvent]) -> None:
        """The same for a page, its timers held in memory (projections/sla_timer_page.py)."""
        cur = sink.cursor()
        store = PageTimerStore.load(cur, page)
        for logged in page:
            self._apply(store, logged)
        store.write(cur, sink)

    def _apply(self, store: TimerRows, logged: LoggedEvent) -> None:
        kind = logged.type
        if kind == "AppealRegistered":
            self._registered(store, logged)
        elif kind in ACTION_OF_EVENT:
            self._appeal_step(store, logged)
        elif kind == "InteractionRecorded":
            self._contact(store, logged)
        elif kind in ("SlaAtRisk", "SlaBreached"):
            self._marked(store, logged)
        elif kind in self._stop_names:
            self._stopped_elsewhere(store, logged)

    def _registered(self, store: TimerRows, logged: LoggedEvent) -> None:
        event = logged.event
        appeal = AppealFacts(
            appeal_number=event.appeal_number, account_number=logged.account_number,
            channel=event.channel, appeal_type=event.appeal_type, form=event.form,
            received_at=event.received_at, status=AppealStatus.REGISTERED,
        )
        store.add_appeal(appeal)
        self._start_for_appeal(store, logged, appeal, event.received_at)

    def _appeal_step(self, store: TimerRows, logged: LoggedEvent) -> None:
        event, kind = logged.event, logged.type
        appeal = store.appeal(event.appeal_number)
        if appeal is None:
            return
        _, target = TRANSITIONS[ACTION_OF_EVENT[kind]]
        appeal.status = target or appeal.status
        if kind == "AppealAssigned":
            appeal.assignee = event.assignee
        store.update_appeal(appeal)
        for timer in store.open_of_appeal(appeal.appeal_number):
            if not self._stop_if_named(timer, kind, event.at):
                self._pause_or_resume(timer, appeal.status, event.at)
            store.save(timer, logged.position)
        self._start_for_appeal(store, logged, appeal, event.at)

    def _start_for_appeal(
        self, store: TimerRows, logged: LoggedEvent, appeal: AppealFacts, at: datetime
    ) -> None:
        rules = self.policy.rules_for(
            logged.type, Channel(appeal.channel), AppealType(appeal.appeal_type),
            AppealForm(appeal.form),
        )
        for rule in rules:
            started = appeal.received_at if rule.counted_from is CountedFrom.RECEIPT else at
            timer = self._timer(appeal.appeal_number, rule, logged, started)
            if appeal.status in rule.pauses_in:
                timer.pause(at)
            store.insert(timer, appeal.subject(), logged.position)

    def _contact(self, store: TimerRows, logged: LoggedEvent) -> None:
        event = logged.event
        channel, at = Channel(event.channel), event.occurred_at
        subject = Subject(
            account_number=logged.account_number, channel=channel,
            interaction_id=event.interaction_id,
        )
        if event.direction == Direction.OUTBOUND:
            for timer in store.open_on_channel(logged.account_number, channel):
                if at >= timer.started_at and self._stop_if_named(timer, CALLBACK_MADE, at):
                    store.save(timer, logged.position)
        starts: list[tuple[str, datetime | None]] = []
        if event.direction == Direction.INBOUND:
            starts.append((logged.type, None))
        if event.callback_at is not None:
            starts.append((CALLBACK_AGREED, event.callback_at))
        for name, agreed_at in starts:
            for rule in self.policy.rules_for(name, channel):
                timer = self._timer(str(event.interaction_id), rule, logged, event.ended,
                                    agreed_at)
                store.insert(timer, subject, logged.position)

    def _marked(self, store: TimerRows, logged: LoggedEvent) -> None:
        event = logged.event
        timer = store.get(event.timer_id)
        if timer is None:
            return
        timer.record(Mark(getattr(event, "threshold", None), event.at))
        store.save(timer, logged.position)

    def _stopped_elsewhere(self, store: TimerRows, logged: LoggedEvent) -> None:
        """An event named by a rule, such as a survey sent, stops its appeal's or contact's."""
        event = logged.event
        number, interaction = getattr(event, "appeal_number", None), getattr(
            event, "interaction_id", None)
        timers = store.open_of_appeal(number) if number else (
            store.open_of_interaction(interaction) if interaction else [])
        for timer in timers:
            if self._stop_if_named(timer, logged.type, event_time(event)):
                store.save(timer, logged.position)
        cancelled = store.cancelled_of_appeal(number) if number else (
            store.cancelled_of_interaction(interaction) if interaction else [])
        for timer in cancelled:
            if met_after_cancel(timer, self._rules.get(timer.kind), logged.type,
                                event_time(event), self.calendar):
                store.save(timer, logged.position)

    def _stop_if_named(self, timer: Timer, event_name: str, at: datetime) -> bool:
        """Stop the timer if its rule (or, for any appeal, the final steps) name the event."""
        return stop_if_named(timer, self._rules.get(timer.kind), event_name, at, self.calendar)

    def _pause_or_resume(self, timer: Timer, status: str, at: datetime) -> None:
        pause_or_resume(timer, self._rules.get(timer.kind), status, at, self.calendar)

    def _timer(
        self, subject: str, rule: TimerRule, logged: LoggedEvent, started: datetime,
        agreed_at: datetime | None = None,
    ) -> Timer:
        return Timer.start(timer_id(subject, rule, logged.event.originator_version), rule,
                           self.policy.version, started, self.calendar, agreed_at)
