"""Appeal status: each appeal's current state, and the history of its events."""

from __future__ import annotations

from typing import Any

from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.appeal import TRANSITIONS, Action
from projections.base import LoggedEvent, camelized, event_time, payload
from projections.pd_erasure import erase_appeals

_ACTION_OF = {
    "AppealAssigned": Action.ASSIGN,
    "ClarificationRequested": Action.REQUEST_CLARIFICATION,
    "AppealDeferred": Action.DEFER,
    "AppealExtended": Action.EXTEND,
    "AppealAnswered": Action.ANSWER,
    "AppealClosed": Action.CLOSE,
    "AppealLeftWithoutConsideration": Action.LEAVE_WITHOUT_CONSIDERATION,
}

_EXTRA_COLUMNS: dict[str, str] = {
    "AppealAssigned": "assignee = %(assignee)s",
    "AppealExtended": "extended = true",
    "AppealAnswered": "answered_at = %(at)s, answer_channel = %(channel)s",
    "AppealClosed": "closed_at = %(at)s",
    "AppealLeftWithoutConsideration": (
        "without_consideration_reason = %(reason)s,"
        " related_appeal_number = %(related_appeal_number)s"
    ),
}
"""Columns an event sets besides the status it leads to."""


class AppealStatusProjection:
    """Keeps `appeal_status_appeals` current and `appeal_status_history` complete."""

    name = "appeal_status"
    tables = ("appeal_status_appeals", "appeal_status_history")

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Register, or move the appeal along the lifecycle table, and log the step."""
        if logged.type == "PersonalDataErased":
            erase_appeals(cur, logged.event.originator_id)
            return
        if logged.type == "AppealRegistered":
            self._register(cur, logged)
        elif logged.type in _ACTION_OF:
            self._transition(cur, logged.type, payload(logged.event), logged.position)
        else:
            return
        self._history(cur, logged)

    def _register(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        event, data = logged.event, payload(logged.event)
        cur.execute(
            "INSERT INTO appeal_status_appeals (appeal_number, account_id, account_number,"
            " channel, appeal_type, form, status, received_at, subject, text, contact,"
            " reply_channel, external_id, updated_position) VALUES (%s, %s, %s, %s, %s, %s,"
            " 'registered', %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
            (
                data["appeal_number"], event.originator_id, logged.account_number,
                data["channel"], data["appeal_type"], data["form"], event.received_at,
                data["subject"], data["text"],
                None if data["contact"] is None else Jsonb(data["contact"]),
                data["reply_channel"], data["external_id"], logged.position,
            ),
        )

    def _transition(self, cur: Cursor[Any], kind: str, data: dict[str, Any], pos: int) -> None:
        _, target = TRANSITIONS[_ACTION_OF[kind]]
        sets = ["updated_position = %(position)s"]
        if target is not None:
            sets.append("status = %(status)s")
        if kind in _EXTRA_COLUMNS:
            sets.append(_EXTRA_COLUMNS[kind])
        cur.execute(
            f"UPDATE appeal_status_appeals SET {', '.join(sets)}"
            " WHERE appeal_number = %(appeal_number)s AND updated_position < %(position)s",
            {**data, "position": pos, "status": target},
        )

    def _history(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        data = payload(logged.event)
        cur.execute(
            "INSERT INTO appeal_status_history (position, appeal_number, event_type, at, actor,"
            " status, details) SELECT %s, %s, %s, %s, %s, status, %s"
            " FROM appeal_status_appeals WHERE appeal_number = %s ON CONFLICT DO NOTHING",
            (
                logged.position, data["appeal_number"], logged.type, event_time(logged.event),
                data.get("by") or data.get("registered_by"), Jsonb(camelized(data)),
                data["appeal_number"],
            ),
        )
