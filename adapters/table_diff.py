"""Compares a read model's table in two schemas, row by row, both ways (EXCEPT ALL)."""

from __future__ import annotations

from typing import Any

import msgspec
from psycopg import Connection, sql
from psycopg.rows import dict_row

SAMPLES = 5


class TableDiff(msgspec.Struct, kw_only=True):
    """How a table differs: rows only on one side (with a few samples), columns that differ."""

    table: str
    only_live: int
    only_rebuilt: int
    samples_live: list[dict[str, Any]]
    samples_rebuilt: list[dict[str, Any]]
    columns: list[str]
    """Columns whose presence or type differs between the two schemas."""

    @property
    def same(self) -> bool:
        """Both sides hold the same rows in the same columns."""
        return not (self.only_live or self.only_rebuilt or self.columns)


def _columns(conn: Connection[Any], schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
        (schema, table),
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def _select(schema: str, table: str, columns: list[str], types: dict[str, str]) -> sql.Composed:
    """json has no equality operator: such columns are compared as text."""
    items = [
        sql.SQL("{}::text AS {}").format(sql.Identifier(c), sql.Identifier(c))
        if types[c] == "json" else sql.Identifier(c)
        for c in columns
    ]
    return sql.SQL("SELECT {} FROM {}.{}").format(
        sql.SQL(", ").join(items), sql.Identifier(schema), sql.Identifier(table))


def diff_table(conn: Connection[Any], table: str, live: str, rebuilt: str) -> TableDiff:
    """Rows of `table` in schema `live` not in `rebuilt`, and the other way round."""
    live_cols, rebuilt_cols = _columns(conn, live, table), _columns(conn, rebuilt, table)
    common = [c for c in live_cols if rebuilt_cols.get(c) == live_cols[c]]
    differing = sorted(set(live_cols) ^ set(rebuilt_cols) | (set(live_cols) - set(common)))
    left, right = _select(live, table, common, live_cols), _select(rebuilt, table, common,
                                                                   live_cols)
    only_live, samples_live = _except(conn, left, right)
    only_rebuilt, samples_rebuilt = _except(conn, right, left)
    return TableDiff(table=table, only_live=only_live, only_rebuilt=only_rebuilt,
                     samples_live=samples_live, samples_rebuilt=samples_rebuilt,
                     columns=differing)


def _except(
    conn: Connection[Any], left: sql.Composed, right: sql.Composed
) -> tuple[int, list[dict[str, Any]]]:
    query = sql.SQL("({}) EXCEPT ALL ({})").format(left, right)
    row = conn.execute(sql.SQL("SELECT count(*) FROM ({}) d").format(query)).fetchone()
    count = 0 if row is None else int(row[0])
    if not count:
        return 0, []
    with conn.cursor(row_factory=dict_row) as cur:
        samples = cur.execute(sql.SQL("{} LIMIT {}").format(query, SAMPLES)).fetchall()
    return count, [msgspec.to_builtins(s) for s in samples]
