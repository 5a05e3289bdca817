"""Personal-data access audit: every recorded access and erasure, for the auditor's queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import Cursor

from projections.base import LoggedEvent
from projections.page import RowSink

ACCESS_COLUMNS = ("position", "account_number", "at", "actor", "role", "purpose", "fields",
                  "request_id", "api")
ERASURE_COLUMNS = ("position", "account_number", "at", "actor", "ground")
_TABLES = {"PersonalDataAccessed": ("pd_audit_accesses", ACCESS_COLUMNS),
           "PersonalDataErased": ("pd_audit_erasures", ERASURE_COLUMNS)}


class PdAuditProjection:
    """Writes `pd_audit_accesses` from PersonalDataAccessed, `pd_audit_erasures` from erasures."""

    name = "pd_audit"
    tables = ("pd_audit_accesses", "pd_audit_erasures")
    event_types = frozenset(_TABLES)
    """What it acts on: a rebuild decodes no other event (projections/page.py)."""

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Add the access or erasure row; other events are not its concern."""
        if logged.type in _TABLES:
            table, columns = _TABLES[logged.type]
            cur.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES"
                        f" ({', '.join(['%s'] * len(columns))}) ON CONFLICT DO NOTHING",
                        audit_row(logged))

    def apply_page(self, sink: RowSink, page: Sequence[LoggedEvent]) -> None:
        """The same for a page: the rows are copied in bulk."""
        for logged in page:
            if logged.type in _TABLES:
                sink.add(*_TABLES[logged.type], audit_row(logged))


def audit_row(logged: LoggedEvent) -> tuple[Any, ...]:
    """The access's or erasure's row, in the columns of its table."""
    event = logged.event
    if logged.type == "PersonalDataAccessed":
        return (logged.position, logged.account_number, event.at, event.actor, event.role,
                event.purpose, list(event.fields), event.request_id, event.api)
    return logged.position, logged.account_number, event.at, event.by, event.ground
