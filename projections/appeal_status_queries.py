"""Reading the appeal status read model: one appeal, a filtered page, an appeal's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import Connection, sql
from psycopg.rows import dict_row


class AppealRow(msgspec.Struct, frozen=True):
    """An appeal as the read model holds it."""

    appeal_number: str
    account_number: str
    channel: str
    appeal_type: str
    form: str
    status: str
    received_at: datetime
    subject: str
    text: str
    contact: dict[str, Any] | None
    reply_channel: str | None
    external_id: str | None
    assignee: str | None
    extended: bool
    answered_at: datetime | None
    answer_channel: str | None
    closed_at: datetime | None
    without_consideration_reason: str | None
    related_appeal_number: str | None
    updated_position: int


class HistoryRow(msgspec.Struct, frozen=True):
    """One event in an appeal's history."""

    position: int
    event_type: str
    at: datetime
    actor: str | None
    status: str
    details: dict[str, Any]


class AppealFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which appeals a supervisor wants to see."""

    status: list[str] | None = None
    channel: list[str] | None = None
    appeal_type: list[str] | None = None
    assignee: str | None = None
    account_number: str | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None


_COLUMNS = sql.SQL(", ").join(sql.Identifier(f) for f in AppealRow.__struct_fields__)
_IN = {"status": "status", "channel": "channel", "appeal_type": "appeal_type"}


def read_appeal(conn: Connection[Any], number: str) -> AppealRow | None:
    """One appeal by its number."""
    query = sql.SQL("SELECT {} FROM appeal_status_appeals WHERE appeal_number = %s")
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(query.format(_COLUMNS), (number,)).fetchone()
    return None if row is None else AppealRow(**row)


def read_appeals(
    conn: Connection[Any], flt: AppealFilter, first: int,
    after: tuple[datetime, str] | None = None,
) -> list[AppealRow]:
    """A page of appeals, newest received first, after a (received_at, number) cursor."""
    query, params = appeals_query(flt, first, after)
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, params).fetchall()
    return [AppealRow(**row) for row in rows]


def appeals_query(
    flt: AppealFilter, first: int, after: tuple[datetime, str] | None = None
) -> tuple[sql.Composed, list[Any]]:
    """The statement of a page and its parameters; pages come in the order of the
    `appeal_status_appeals_received` index (migration 0044), not from a sort of them all."""
    where, params = _conditions(flt)
    if after is not None:
        where.append(sql.SQL("(received_at, appeal_number) < (%s, %s)"))
        params.extend(after)
    query = sql.SQL(
        "SELECT {} FROM appeal_status_appeals WHERE {} "
        "ORDER BY received_at DESC, appeal_number DESC LIMIT %s"
    ).format(_COLUMNS, sql.SQL(" AND ").join(where))
    return query, [*params, first]


def _conditions(flt: AppealFilter) -> tuple[list[sql.Composable], list[Any]]:
    where: list[sql.Composable] = [sql.SQL("true")]
    params: list[Any] = []
    for attr, column in _IN.items():
        values = getattr(flt, attr)
        if values:
            where.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(column)))
            params.append(values)
    for attr, clause in (
        ("assignee", "assignee = %s"),
        ("account_number", "account_number = %s"),
        ("received_from", "received_at >= %s"),
        ("received_to", "received_at < %s"),
    ):
        if getattr(flt, attr) is not None:
            where.append(sql.SQL(clause))
            params.append(getattr(flt, attr))
    return where, params


def read_history(conn: Connection[Any], number: str) -> list[HistoryRow]:
    """Every event of an appeal, in log order."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT position, event_type, at, actor, status, details FROM appeal_status_history"
            " WHERE appeal_number = %s ORDER BY position",
            (number,),
        ).fetchall()
    return [HistoryRow(**row) for row in rows]
