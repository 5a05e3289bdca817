"""Appeal status rows as values: what the live projection executes and a page copies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from psycopg.types.json import Jsonb

from domain.appeal import ACTION_OF_EVENT, TRANSITIONS
from projections.base import LoggedEvent, event_time, payload
from projections.payload import camel_payload

_encoder = msgspec.json.Encoder()


_EXTRA_COLUMNS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "AppealAssigned": lambda data, event: {"assignee": data["assignee"]},
    "AppealExtended": lambda data, event: {"extended": True},
    "AppealAnswered": lambda data, event: {"answered_at": event.at,
                                           "answer_channel": data["channel"]},
    "AppealClosed": lambda data, event: {"closed_at": event.at},
    "AppealLeftWithoutConsideration": lambda data, event: {
        "without_consideration_reason": data["reason"],
        "related_appeal_number": data["related_appeal_number"]},
}
"""Columns an event sets besides the status it leads to."""
APPEAL_COLUMNS = (
    "appeal_number", "account_id", "account_number", "channel", "appeal_type", "form", "status",
    "received_at", "subject", "text", "contact", "reply_channel", "external_id", "assignee",
    "extended", "answered_at", "answer_channel", "closed_at", "without_consideration_reason",
    "related_appeal_number", "updated_position")
HISTORY_COLUMNS = ("position", "appeal_number", "event_type", "at", "actor", "status", "details")


def registered(logged: LoggedEvent) -> dict[str, Any]:
    """The row of a newly registered appeal, in APPEAL_COLUMNS order."""
    event, data = logged.event, payload(logged.event)
    return dict(zip(APPEAL_COLUMNS, (
        data["appeal_number"], event.originator_id, logged.account_number, data["channel"],
        data["appeal_type"], data["form"], "registered", event.received_at, data["subject"],
        data["text"], None if data["contact"] is None else Jsonb(data["contact"]),
        data["reply_channel"], data["external_id"], None, False, None, None, None, None, None,
        logged.position), strict=True))


def changes(logged: LoggedEvent) -> dict[str, Any]:
    """The columns a lifecycle step sets on its appeal."""
    _, target = TRANSITIONS[ACTION_OF_EVENT[logged.type]]
    sets: dict[str, Any] = {"updated_position": logged.position}
    if target is not None:
        sets["status"] = str(target)
    extra = _EXTRA_COLUMNS.get(logged.type)
    return sets | extra(vars(logged.event), logged.event) if extra else sets


def history_row(logged: LoggedEvent, status: str) -> tuple[Any, ...]:
    """A step's history row in HISTORY_COLUMNS order, given its appeal's status after it."""
    event = logged.event
    data = vars(event)
    return (logged.position, data["appeal_number"], logged.type, event_time(event),
            data.get("by") or data.get("registered_by"), status,
            Jsonb(camel_payload(event), dumps=_encoder.encode))
