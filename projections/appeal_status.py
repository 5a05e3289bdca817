"""Appeal status: each appeal's current state, and the history of its events."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor

from domain.appeal import ACTION_OF_EVENT
from projections.appeal_status_page import AppealPage
from projections.appeal_status_rows import (
    HISTORY_COLUMNS,
    changes,
    history_row,
    registered,
)
from projections.base import LoggedEvent
from projections.page import RowSink
from projections.pd_erasure import erase_appeals


class AppealStatusProjection:
    """Keeps `appeal_status_appeals` current and `appeal_status_history` complete."""

    name = "appeal_status"
    tables = ("appeal_status_appeals", "appeal_status_history")
    event_types = frozenset({"PersonalDataErased", "AppealRegistered", *ACTION_OF_EVENT})
    """What it acts on: a rebuild decodes no other event (projections/page.py)."""

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Register, or move the appeal along the lifecycle table, and log the step."""
        if logged.type == "PersonalDataErased":
            erase_appeals(cur, logged.account_number)
            return
        if logged.type == "AppealRegistered":
            row = registered(logged)
            cur.execute(f"INSERT INTO appeal_status_appeals ({', '.join(row)}) VALUES"
                        f" ({', '.join(['%s'] * len(row))}) ON CONFLICT DO NOTHING",
                        tuple(row.values()))
        elif logged.type in ACTION_OF_EVENT:
            self._transition(cur, logged)
        else:
            return
        self._history(cur, logged)

    def apply_page(self, sink: RowSink, page: Sequence[LoggedEvent]) -> None:
        """The same for a page, appeals registered in it kept in memory till its end."""
        AppealPage(self, sink, page).apply()

    def _transition(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        sets = changes(logged)
        cur.execute(
            f"UPDATE appeal_status_appeals SET {', '.join(f'{c} = %({c})s' for c in sets)}"
            " WHERE appeal_number = %(number)s AND updated_position < %(updated_position)s",
            {**sets, "number": logged.event.appeal_number},
        )

    def _history(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """The step's history row, with the status its appeal has now."""
        position, number, kind, at, actor, _, details = history_row(logged, "")
        cur.execute(
            f"INSERT INTO appeal_status_history ({', '.join(HISTORY_COLUMNS)})"
            " SELECT %s, %s, %s, %s, %s, status, %s"
            " FROM appeal_status_appeals WHERE appeal_number = %s ON CONFLICT DO NOTHING",
            (position, number, kind, at, actor, details, number),
        )
