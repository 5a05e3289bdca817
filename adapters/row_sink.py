"""Writes a page's new read-model rows with one binary COPY per table (rebuilds).

COPY skips the per-row statement of an INSERT, which is most of a rebuild's database time;
a rebuild starts from empty tables at a locked position, so there is no conflict to skip.
"""

from __future__ import annotations

from typing import Any

from psycopg import Connection, Cursor, sql

_TYPES = (
    "SELECT a.attname, a.atttypid::int FROM pg_attribute a WHERE a.attrelid = %s::regclass"
    " AND a.attnum > 0 AND NOT a.attisdropped"
)

ColumnTypes = dict[tuple[str, tuple[str, ...]], list[int]]
"""The type oids of a table's columns, looked up once per rebuild."""


class CopySink:
    """A RowSink (projections/page.py) on one connection's transaction."""

    def __init__(self, conn: Connection[Any], types: ColumnTypes) -> None:
        self._conn = conn
        self._types = types
        self._rows: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
        self._cur = conn.cursor()

    def add(self, table: str, columns: tuple[str, ...], row: tuple[Any, ...]) -> None:
        """Buffer one new row."""
        rows = self._rows.get((table, columns))
        if rows is None:
            rows = self._rows[table, columns] = []
        rows.append(row)

    def cursor(self) -> Cursor[Any]:
        """The transaction's cursor, after the buffered rows were written."""
        self.flush()
        return self._cur

    def flush(self) -> None:
        """Copy every buffered row into its table, tables in the order first added to."""
        for (table, columns), rows in self._rows.items():
            statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns)))
            types = self._types_of(table, columns)
            with self._cur.copy(statement) as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)
        self._rows.clear()

    def _types_of(self, table: str, columns: tuple[str, ...]) -> list[int]:
        types = self._types.get((table, columns))
        if types is None:
            oids = dict(self._cur.execute(_TYPES, (table,)).fetchall())
            types = self._types[table, columns] = [oids[c] for c in columns]
        return types
