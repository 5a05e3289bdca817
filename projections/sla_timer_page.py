"""The SLA timers' rows for a rebuild: a page's timers held in memory, written once per page.

Live, TimerStore asks the table for each event (three round trips an event, which made the
rebuild ~100× slower than a raw scan of the log). Here the rows a page can touch are loaded
first, in four queries, by the keys its events name (appeal numbers, contacts, timer ids,
accounts' channels); the events then change them in memory, and the page ends with new rows
copied in bulk and changed ones updated in one pipelined batch. Each read hands out a copy,
as a row read from the table would be, so a timer changed but not saved stays as it was.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from psycopg import Cursor, sql
from psycopg.rows import dict_row

from domain.sla_timer import Timer, TimerState
from domain.values import Direction
from projections.base import LoggedEvent
from projections.page import RowSink
from projections.sla_timer_store import (
    APPEAL_COLUMNS,
    INSERT_COLUMNS,
    TIMER_FIELDS,
    UPDATE_ROW,
    AppealFacts,
    Subject,
    subject_fields,
    timer_row,
)

_T = TypeVar("_T")
_SUBJECT_COLUMNS = tuple(f.name for f in dataclasses.fields(Subject))
_LOAD = sql.SQL("SELECT {} FROM sla_timers WHERE ").format(
    sql.SQL(", ").join(map(sql.Identifier, INSERT_COLUMNS)))
_BY = (
    "appeal_number = ANY(%s)",
    "interaction_id = ANY(%s)",
    "timer_id = ANY(%s)",
    "outcome IS NULL AND (account_number, channel) IN"
    " (SELECT * FROM unnest(%s::text[], %s::text[]))",
)


@dataclass
class _Row:
    """A timer's row as the page holds it."""

    timer: Timer
    subject: dict[str, Any]
    started: int
    updated: int
    stored: bool
    """Already in the table (an earlier page's): written back by UPDATE, else by COPY."""
    changed: bool = False


class PageTimerStore:
    """TimerRows (projections/sla_timer_store.py) over a page's rows in memory."""

    def __init__(self) -> None:
        self._timers: dict[str, _Row] = {}
        self._appeals: dict[str, AppealFacts] = {}
        self._stored_appeals: set[str] = set()
        self._changed_appeals: set[str] = set()
        self._by_appeal: dict[str, list[str]] = {}
        self._by_interaction: dict[UUID, list[str]] = {}
        self._by_channel: dict[tuple[str, str], list[str]] = {}

    @classmethod
    def load(cls, cur: Cursor[Any], page: Sequence[LoggedEvent]) -> PageTimerStore:
        """A store holding every row the page's events can read."""
        store, keys = cls(), _Keys.of(page)
        with cur.connection.cursor(row_factory=dict_row) as rows:
            for row in rows.execute("SELECT * FROM sla_timers_appeals WHERE"
                                    " appeal_number = ANY(%s)", (keys.appeals,)):
                store._appeals[row["appeal_number"]] = AppealFacts(**row)
                store._stored_appeals.add(row["appeal_number"])
            for where, params in zip(_BY, keys.params(), strict=True):
                for row in rows.execute(_LOAD + sql.SQL(where), params):
                    if row["timer_id"] not in store._timers:
                        store._hold(_loaded(row))
        return store

    def write(self, cur: Cursor[Any], sink: RowSink) -> None:
        """Changed rows of earlier pages updated, the page's new rows handed to the sink."""
        changed = [timer_row(r.timer, r.subject, r.started, r.updated)
                   for r in self._timers.values() if r.stored and r.changed]
        if changed:
            cur.executemany(UPDATE_ROW, changed)
        appeals = [a for n, a in self._appeals.items()
                   if n in self._stored_appeals and n in self._changed_appeals]
        if appeals:
            cur.executemany("UPDATE sla_timers_appeals SET status = %s, assignee = %s"
                            " WHERE appeal_number = %s",
                            [(a.status, a.assignee, a.appeal_number) for a in appeals])
        for row in self._timers.values():
            if not row.stored:
                values = timer_row(row.timer, row.subject, row.started, row.updated)
                sink.add("sla_timers", INSERT_COLUMNS, tuple(values[c] for c in INSERT_COLUMNS))
        for number, appeal in self._appeals.items():
            if number not in self._stored_appeals:
                sink.add("sla_timers_appeals", APPEAL_COLUMNS,
                         tuple(getattr(appeal, c) for c in APPEAL_COLUMNS))

    def insert(self, timer: Timer, subject: Subject, position: int) -> None:
        """A new timer; a replayed start is ignored."""
        if timer.timer_id not in self._timers:
            self._hold(_Row(_copy(timer), subject_fields(subject), position, position, False))

    def save(self, timer: Timer, position: int) -> None:
        """A changed timer."""
        row = self._timers[timer.timer_id]
        row.timer, row.updated, row.changed = _copy(timer), position, True

    def get(self, timer_id: str) -> Timer | None:
        """One timer by id."""
        row = self._timers.get(timer_id)
        return None if row is None else _copy(row.timer)

    def open_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's timers that have not stopped."""
        return self._open(self._by_appeal.get(appeal_number, ()))

    def open_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's timers that have not stopped."""
        return self._open(self._by_interaction.get(interaction_id, ()))

    def open_on_channel(self, account_number: str, channel: str) -> list[Timer]:
        """An account's timers on a channel that have not stopped."""
        return self._open(self._by_channel.get((account_number, channel), ()))

    def cancelled_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's cancelled timers (a later stop may still meet one)."""
        return self._cancelled(self._by_appeal.get(appeal_number, ()))

    def cancelled_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's cancelled timers."""
        return self._cancelled(self._by_interaction.get(interaction_id, ()))

    def add_appeal(self, appeal: AppealFacts) -> None:
        """Remember an appeal the timers follow (a replayed one is ignored)."""
        self._appeals.setdefault(appeal.appeal_number, _shallow(appeal))

    def appeal(self, appeal_number: str) -> AppealFacts | None:
        """An appeal the timers follow, as it stands."""
        appeal = self._appeals.get(appeal_number)
        return None if appeal is None else _shallow(appeal)

    def update_appeal(self, appeal: AppealFacts) -> None:
        """The appeal's status and assignee moved; its timers show the assignee too."""
        held = self._appeals[appeal.appeal_number]
        held.status, held.assignee = appeal.status, appeal.assignee
        self._changed_appeals.add(appeal.appeal_number)
        for timer_id in self._by_appeal.get(appeal.appeal_number, ()):
            row = self._timers[timer_id]
            if row.subject["assignee"] != appeal.assignee:
                row.subject = row.subject | {"assignee": appeal.assignee}
                row.changed = True

    def _hold(self, row: _Row) -> None:
        timer_id, subject = row.timer.timer_id, row.subject
        self._timers[timer_id] = row
        if subject["appeal_number"] is not None:
            self._by_appeal.setdefault(subject["appeal_number"], []).append(timer_id)
        if subject["interaction_id"] is not None:
            self._by_interaction.setdefault(subject["interaction_id"], []).append(timer_id)
        channel = (subject["account_number"], subject["channel"])
        self._by_channel.setdefault(channel, []).append(timer_id)

    def _open(self, timer_ids: Iterable[str]) -> list[Timer]:
        return [_copy(self._timers[t].timer) for t in sorted(timer_ids)
                if self._timers[t].timer.outcome is None]

    def _cancelled(self, timer_ids: Iterable[str]) -> list[Timer]:
        return [_copy(self._timers[t].timer) for t in sorted(timer_ids)
                if self._timers[t].timer.outcome == TimerState.CANCELLED]


@dataclass(frozen=True)
class _Keys:
    """What a page's events name, that the timers they touch are found by."""

    appeals: list[str]
    interactions: list[UUID]
    timers: list[str]
    channels: list[tuple[str, str]]

    @classmethod
    def of(cls, page: Sequence[LoggedEvent]) -> _Keys:
        appeals: set[str] = set()
        interactions: set[UUID] = set()
        timers: set[str] = set()
        channels: set[tuple[str, str]] = set()
        for logged in page:
            event = logged.event
            if (number := getattr(event, "appeal_number", None)) is not None:
                appeals.add(number)
            if (interaction := getattr(event, "interaction_id", None)) is not None:
                interactions.add(interaction)
            if (timer_id := getattr(event, "timer_id", None)) is not None:
                timers.add(timer_id)
            if logged.type == "InteractionRecorded" and event.direction == Direction.OUTBOUND:
                channels.add((logged.account_number, str(event.channel)))
        return cls(sorted(appeals), sorted(interactions), sorted(timers), sorted(channels))

    def params(self) -> list[tuple[Any, ...]]:
        """The parameters of each query in _BY."""
        return [(self.appeals,), (self.interactions,), (self.timers,),
                ([a for a, _ in self.channels], [c for _, c in self.channels])]


def _loaded(row: dict[str, Any]) -> _Row:
    timer = Timer(**{f: row[f] for f in TIMER_FIELDS})
    subject = {f: row[f] for f in _SUBJECT_COLUMNS}
    return _Row(timer, subject, row["started_position"], row["updated_position"], True)


def _copy(timer: Timer) -> Timer:
    """A timer no later change of the other can reach (its lists are its own); by its
    fields, as `dataclasses.replace` was a tenth of the rebuild."""
    clone = _shallow(timer)
    clone.warn_shares, clone.warn_instants, clone.warned_shares = (
        list(timer.warn_shares), list(timer.warn_instants), list(timer.warned_shares))
    return clone


def _shallow(thing: _T) -> _T:
    clone: _T = object.__new__(type(thing))
    clone.__dict__.update(thing.__dict__)
    return clone
