"""Personal-data access audit: every recorded access and erasure, for the auditor's queries."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from projections.base import LoggedEvent


class PdAuditProjection:
    """Writes `pd_audit_accesses` from PersonalDataAccessed, `pd_audit_erasures` from erasures."""

    name = "pd_audit"
    tables = ("pd_audit_accesses", "pd_audit_erasures")

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Add the access or erasure row; other events are not its concern."""
        event = logged.event
        if logged.type == "PersonalDataAccessed":
            cur.execute(
                "INSERT INTO pd_audit_accesses (position, account_number, at, actor, role,"
                " purpose, fields, request_id, api) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                (logged.position, logged.account_number, event.at, event.actor, event.role,
                 event.purpose, list(event.fields), event.request_id, event.api),
            )
        elif logged.type == "PersonalDataErased":
            cur.execute(
                "INSERT INTO pd_audit_erasures (position, account_number, at, actor, ground)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (logged.position, logged.account_number, event.at, event.by, event.ground),
            )
