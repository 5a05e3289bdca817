"""Appeal status a page at a time (rebuilds): appeals registered in the page live in memory
until its end, so their steps change a dict instead of a row, then everything is copied.

Steps of appeals registered in earlier pages, a second registration of a stored number and
erasures go through the live projection's statements, in log order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from domain.appeal import ACTION_OF_EVENT
from projections.appeal_status_rows import (
    APPEAL_COLUMNS,
    HISTORY_COLUMNS,
    changes,
    history_row,
    registered,
)
from projections.base import LoggedEvent
from projections.page import RowSink
from projections.pd_erasure import erase_appeals

if TYPE_CHECKING:
    from projections.appeal_status import AppealStatusProjection


class AppealPage:
    """One page of events applied to the appeal status tables through a sink."""

    def __init__(self, live: AppealStatusProjection, sink: RowSink,
                 page: Sequence[LoggedEvent]) -> None:
        self.live, self.sink, self.page = live, sink, page
        self.pending: dict[str, dict[str, Any]] = {}
        self.stored = self._stored()

    def apply(self) -> None:
        """Every event of the page, in log order; then the page's new appeals."""
        for logged in self.page:
            if logged.type == "PersonalDataErased":
                self._write_pending()
                erase_appeals(self.sink.cursor(), logged.account_number)
            elif logged.type == "AppealRegistered" or logged.type in ACTION_OF_EVENT:
                self._step(logged)
        self._write_pending()

    def _step(self, logged: LoggedEvent) -> None:
        number = logged.event.appeal_number
        appeal = self.pending.get(number)
        if appeal is None and (logged.type != "AppealRegistered" or number in self.stored):
            self.live.apply(self.sink.cursor(), logged)  # a stored appeal (or none)
            return
        if appeal is None:
            appeal = self.pending[number] = registered(logged)
        elif logged.type != "AppealRegistered":
            appeal.update(changes(logged))
        self.sink.add("appeal_status_history", HISTORY_COLUMNS,
                      history_row(logged, appeal["status"]))

    def _write_pending(self) -> None:
        for number, appeal in self.pending.items():
            self.sink.add("appeal_status_appeals", APPEAL_COLUMNS, tuple(appeal.values()))
            self.stored.add(number)
        self.pending.clear()

    def _stored(self) -> set[str]:
        """Which appeals the page registers are already stored (their first registration
        stands, as the live insert's ON CONFLICT keeps it)."""
        numbers = [e.event.appeal_number for e in self.page if e.type == "AppealRegistered"]
        if not numbers:
            return set()
        rows = self.sink.cursor().execute(
            "SELECT appeal_number FROM appeal_status_appeals WHERE appeal_number = ANY(%s)",
            (numbers,)).fetchall()
        return {row[0] for row in rows}
