"""Read models that can take a page of events at once: a rebuild writes their rows in bulk.

The live follower applies events one by one (`Projection.apply`); a rebuild hands thousands
to `apply_page`, which adds new rows to a sink that copies them in one go. A statement that
reads or changes earlier rows (an erasure, a status change) asks the sink for its cursor,
which first writes what is buffered, so the page's effect is the live one in the same order.
A read model may also name the `event_types` it acts on (a frozenset): a rebuild then decodes
no other event, which is most of a replay's cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from psycopg import Cursor

from projections.base import LoggedEvent


class RowSink(Protocol):
    """Where a page's new rows go, buffered per table and written in bulk, in order."""

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        """Buffer one new row of `table` (its `columns`, in that order)."""

    def cursor(self) -> Cursor[Any]:
        """A cursor in the page's transaction, once every buffered row is written."""


class PageProjection(Protocol):
    """A read model that applies a whole page of events to a sink."""

    def apply_page(self, sink: RowSink, page: Sequence[LoggedEvent]) -> None:
        """Change the read model's tables for every event of the page, in log order."""
