"""Reading the access audit: accesses by account, actor, purpose and period; erasures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from psycopg import Connection, sql
from psycopg.rows import dict_row


class AccessRow(msgspec.Struct, frozen=True):
    """One recorded access to an account's personal data."""

    position: int
    account_number: str
    at: datetime
    actor: str
    role: str
    purpose: str
    fields: list[str]
    request_id: str
    api: str


class ErasureRow(msgspec.Struct, frozen=True):
    """One erasure of an account's personal data."""

    position: int
    account_number: str
    at: datetime
    actor: str
    ground: str


class AccessFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which accesses an auditor looks for; every condition given must hold."""

    account_number: str | None = None
    actor: str | None = None
    purpose: str | None = None
    at_from: datetime | None = None
    at_to: datetime | None = None


_CLAUSES = (
    ("account_number", "account_number = %s"),
    ("actor", "actor = %s"),
    ("purpose", "purpose = %s"),
    ("at_from", "at >= %s"),
    ("at_to", "at < %s"),
)
_ACCESS_COLUMNS = sql.SQL(", ").join(sql.Identifier(f) for f in AccessRow.__struct_fields__)


def read_accesses(
    conn: Connection[Any], flt: AccessFilter, first: int, before: int | None = None
) -> list[AccessRow]:
    """Up to `first` accesses matching the filter, newest first, older than `before`."""
    where: list[sql.Composable] = [sql.SQL("position < %s")]
    params: list[Any] = [before if before is not None else 2**62]
    for attr, clause in _CLAUSES:
        if getattr(flt, attr) is not None:
            where.append(sql.SQL(clause))
            params.append(getattr(flt, attr))
    query = sql.SQL(
        "SELECT {} FROM pd_audit_accesses WHERE {} ORDER BY position DESC LIMIT %s"
    ).format(_ACCESS_COLUMNS, sql.SQL(" AND ").join(where))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, [*params, first]).fetchall()
    return [AccessRow(**row) for row in rows]


def read_erasures(conn: Connection[Any], account_number: str) -> list[ErasureRow]:
    """Every erasure of an account's personal data, in order."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT position, account_number, at, actor, ground FROM pd_audit_erasures"
            " WHERE account_number = %s ORDER BY position",
            (account_number,),
        ).fetchall()
    return [ErasureRow(**row) for row in rows]
