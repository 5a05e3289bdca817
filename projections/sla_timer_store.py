"""The SLA timers' rows: loading and saving timers, and the appeals they follow, in SQL."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from psycopg import Cursor, sql
from psycopg.rows import dict_row

from domain.sla_timer import Timer

TIMER_FIELDS = tuple(f.name for f in dataclasses.fields(Timer))
_FIXED = frozenset({"timer_id", "kind", "policy_version", "unit", "term", "started_at"})
_MUTABLE = tuple(f for f in TIMER_FIELDS if f not in _FIXED)
_SUBJECT = ("account_number", "channel", "appeal_number", "interaction_id", "appeal_type",
            "assignee")
_POSITIONS = ("next_mark_at", "started_position", "updated_position")
_SELECT = sql.SQL("SELECT {} FROM sla_timers ").format(
    sql.SQL(", ").join(map(sql.Identifier, TIMER_FIELDS)))


INSERT_COLUMNS = (*TIMER_FIELDS, *_SUBJECT, *_POSITIONS)
"""A timer row's columns, in the order a new row is written."""
APPEAL_COLUMNS = ("appeal_number", "account_number", "channel", "appeal_type", "form",
                  "received_at", "status", "assignee")
_INSERT = (
    f"INSERT INTO sla_timers ({', '.join(INSERT_COLUMNS)})"
    f" VALUES ({', '.join(f'%({n})s' for n in INSERT_COLUMNS)}) ON CONFLICT DO NOTHING"
)
_UPDATE = (
    "UPDATE sla_timers SET "
    + ", ".join(f"{n} = %({n})s" for n in (*_MUTABLE, "next_mark_at", "updated_position"))
    + " WHERE timer_id = %(timer_id)s"
)
UPDATE_ROW = (
    "UPDATE sla_timers SET "
    + ", ".join(f"{n} = %({n})s" for n in (*_MUTABLE, "assignee", "next_mark_at",
                                            "updated_position"))
    + " WHERE timer_id = %(timer_id)s"
)
"""A whole changed row of an earlier page (projections/sla_timer_page.py)."""
_ADD_APPEAL = (
    f"INSERT INTO sla_timers_appeals ({', '.join(APPEAL_COLUMNS)})"
    f" VALUES ({', '.join(f'%({n})s' for n in APPEAL_COLUMNS)}) ON CONFLICT DO NOTHING"
)
"""Written once from plain column names: composing SQL per row cost more than its round trip."""


@dataclass(frozen=True)
class Subject:
    """What a timer is about: an appeal or a contact, on an account and a channel."""

    account_number: str
    channel: str
    appeal_number: str | None = None
    interaction_id: UUID | None = None
    appeal_type: str | None = None
    assignee: str | None = None


@dataclass
class AppealFacts:
    """What the timers need to know of an appeal: which rules apply, from when, who works it."""

    appeal_number: str
    account_number: str
    channel: str
    appeal_type: str
    form: str
    received_at: datetime
    status: str
    assignee: str | None = None

    def subject(self) -> Subject:
        """The subject of this appeal's timers."""
        return Subject(
            account_number=self.account_number, channel=self.channel,
            appeal_number=self.appeal_number, appeal_type=self.appeal_type,
            assignee=self.assignee,
        )


def _fields(thing: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(thing, name) for name in names}


def subject_fields(subject: Subject) -> dict[str, Any]:
    """A subject as the columns it fills."""
    return _fields(subject, _SUBJECT)


def timer_row(timer: Timer, subject: dict[str, Any], started: int, updated: int
              ) -> dict[str, Any]:
    """Every column of a timer's row (INSERT_COLUMNS)."""
    return _fields(timer, TIMER_FIELDS) | subject | {
        "next_mark_at": timer.next_mark_at(), "started_position": started,
        "updated_position": updated,
    }


class TimerRows(Protocol):
    """Where the SLA timers projection reads and writes its rows: statement by statement
    (TimerStore, live) or a page at a time (PageTimerStore, rebuilds)."""

    def insert(self, timer: Timer, subject: Subject, position: int) -> None:
        """A new timer; a replayed start is ignored."""

    def save(self, timer: Timer, position: int) -> None:
        """A changed timer."""

    def get(self, timer_id: str) -> Timer | None:
        """One timer by id."""

    def open_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's timers that have not stopped."""

    def open_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's timers that have not stopped."""

    def open_on_channel(self, account_number: str, channel: str) -> list[Timer]:
        """An account's timers on a channel that have not stopped."""

    def cancelled_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's cancelled timers (a later stop may still meet one)."""

    def cancelled_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's cancelled timers."""

    def add_appeal(self, appeal: AppealFacts) -> None:
        """Remember an appeal the timers follow (a replayed one is ignored)."""

    def appeal(self, appeal_number: str) -> AppealFacts | None:
        """An appeal the timers follow, as it stands."""

    def update_appeal(self, appeal: AppealFacts) -> None:
        """The appeal's status and assignee moved; its timers show the assignee too."""


class TimerStore:
    """Reads and writes timer rows inside the projection's transaction."""

    def __init__(self, cur: Cursor[Any]) -> None:
        self._cur = cur.connection.cursor(row_factory=dict_row)

    def insert(self, timer: Timer, subject: Subject, position: int) -> None:
        """A new timer; a replayed start is ignored."""
        self._cur.execute(_INSERT, timer_row(timer, subject_fields(subject), position, position))

    def save(self, timer: Timer, position: int) -> None:
        """A changed timer, with when its next mark falls."""
        values = _fields(timer, ("timer_id", *_MUTABLE)) | {
            "next_mark_at": timer.next_mark_at(), "updated_position": position,
        }
        self._cur.execute(_UPDATE, values)

    def get(self, timer_id: str) -> Timer | None:
        """One timer by id."""
        found = self._timers(sql.SQL("WHERE timer_id = %s"), (timer_id,))
        return found[0] if found else None

    def open_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's timers that have not stopped."""
        return self._timers(
            sql.SQL("WHERE appeal_number = %s AND outcome IS NULL"), (appeal_number,))

    def open_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's timers that have not stopped."""
        return self._timers(
            sql.SQL("WHERE interaction_id = %s AND outcome IS NULL"), (interaction_id,))

    def open_on_channel(self, account_number: str, channel: str) -> list[Timer]:
        """An account's timers on a channel that have not stopped (agreed call backs)."""
        return self._timers(
            sql.SQL("WHERE account_number = %s AND channel = %s AND outcome IS NULL"),
            (account_number, channel),
        )

    def cancelled_of_appeal(self, appeal_number: str) -> list[Timer]:
        """The appeal's cancelled timers (a later stop may still meet one)."""
        return self._timers(sql.SQL("WHERE appeal_number = %s AND outcome = 'cancelled'"),
                            (appeal_number,))

    def cancelled_of_interaction(self, interaction_id: UUID) -> list[Timer]:
        """A contact's cancelled timers."""
        return self._timers(sql.SQL("WHERE interaction_id = %s AND outcome = 'cancelled'"),
                            (interaction_id,))

    def _timers(self, where: sql.Composable, params: tuple[Any, ...]) -> list[Timer]:
        rows = self._cur.execute(_SELECT + where + sql.SQL(" ORDER BY timer_id"), params)
        return [Timer(**row) for row in rows.fetchall()]

    def add_appeal(self, appeal: AppealFacts) -> None:
        """Remember an appeal the timers follow."""
        self._cur.execute(_ADD_APPEAL, dataclasses.asdict(appeal))

    def appeal(self, appeal_number: str) -> AppealFacts | None:
        """An appeal the timers follow, as it stands."""
        row = self._cur.execute(
            "SELECT * FROM sla_timers_appeals WHERE appeal_number = %s", (appeal_number,)
        ).fetchone()
        return None if row is None else AppealFacts(**row)

    def update_appeal(self, appeal: AppealFacts) -> None:
        """The appeal's status and assignee moved; its timers show the assignee too."""
        self._cur.execute(
            "UPDATE sla_timers_appeals SET status = %s, assignee = %s WHERE appeal_number = %s",
            (appeal.status, appeal.assignee, appeal.appeal_number),
        )
        self._cur.execute(
            "UPDATE sla_timers SET assignee = %s WHERE appeal_number = %s"
            " AND assignee IS DISTINCT FROM %s",
            (appeal.assignee, appeal.appeal_number, appeal.assignee),
        )
