"""Notification history: every message the ledger sent an account, and each of its steps.

Deterministic for rebuilds: every column comes from the events (the dispatcher's retries and
leases are kept apart, in `notify_dispatch`, and are not a read model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psycopg import Cursor

from domain.values import ERASED
from projections.base import LoggedEvent

_STEP = ("INSERT INTO notification_steps (notification_id, position, status, at, detail)"
         " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING")


class NotificationsProjection:
    """Keeps `notifications` (one row a notification) and `notification_steps`."""

    name = "notifications"
    tables = ("notifications", "notification_steps")

    @property
    def event_types(self) -> frozenset[str]:
        """What it acts on: a rebuild decodes no other event (projections/page.py)."""
        return frozenset({"PersonalDataErased", *_CHANGES})

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Add the requested notification, move it a step on, or erase its personal data."""
        if logged.type == "PersonalDataErased":
            cur.execute(
                "UPDATE notifications SET recipient = CASE WHEN recipient IS NULL THEN NULL"
                " ELSE %s END, subject = %s, text = %s, reason = CASE WHEN status = 'failed'"
                " THEN %s ELSE reason END WHERE account_number = %s",
                (ERASED, ERASED, ERASED, ERASED, logged.account_number))
            cur.execute(  # a failure's reason may quote the address
                "UPDATE notification_steps SET detail = %s WHERE status = 'failed' AND"
                " notification_id IN (SELECT notification_id FROM notifications"
                " WHERE account_number = %s)", (ERASED, logged.account_number))
            return
        change = _CHANGES.get(logged.type)
        if change is None:
            return
        status, detail = change(cur, logged)
        event = logged.event
        cur.execute(_STEP, (event.notification_id, logged.position, status, event.at, detail))


def _requested(cur: Cursor[Any], logged: LoggedEvent) -> tuple[str, str | None]:
    event = logged.event
    trigger = event.trigger
    cur.execute(
        "INSERT INTO notifications (notification_id, account_number, kind, channel, recipient,"
        " subject, text, status, rule, trigger_ref, appeal_number, interaction_id, campaign_id,"
        " requested_at, requested_position, updated_position)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, 'requested', %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT DO NOTHING",
        (event.notification_id, logged.account_number, event.kind, event.via,
         event.recipient, event.subject, event.text, trigger.rule, trigger.ref,
         trigger.appeal_number, trigger.interaction_id, trigger.campaign_id, event.at,
         logged.position, logged.position),
    )
    return "requested", f"{trigger.rule}: {trigger.ref}"


def _moved(status: str, column: str | None) -> Callable[..., tuple[str, str | None]]:
    """A step that sets the status (and its moment's column) and says what it was about."""

    def change(cur: Cursor[Any], logged: LoggedEvent) -> tuple[str, str | None]:
        event = logged.event
        extra, values, detail = _details(logged.type, event)
        moment = f", {column} = %s" if column else ""
        cur.execute(
            f"UPDATE notifications SET status = %s, updated_position = %s{moment}{extra}"
            " WHERE notification_id = %s",
            (status, logged.position, *((event.at,) if column else ()), *values,
             event.notification_id),
        )
        return status, detail

    return change


def _details(kind: str, event: Any) -> tuple[str, tuple[Any, ...], str | None]:
    """The columns a step sets besides its status, and its line in the history."""
    if kind == "NotificationSent":
        return (", gateway_message_id = %s, channel = %s",
                (event.gateway_message_id, event.via), event.gateway_message_id)
    if kind == "NotificationDelivered":
        detail = "transferred to an operator" if event.transferred else None
        return ", transferred = %s", (event.transferred,), detail
    if kind in ("NotificationFailed", "NotificationNotSent"):
        bounced = "bounced: " if getattr(event, "bounced", False) else ""
        return ", reason = %s", (event.reason,), f"{bounced}{event.reason}"
    return "", (), None


_CHANGES: dict[str, Callable[[Cursor[Any], LoggedEvent], tuple[str, str | None]]] = {
    "NotificationRequested": _requested,
    "NotificationNotSent": _moved("not_sent", None),
    "NotificationSent": _moved("sent", "sent_at"),
    "NotificationDelivered": _moved("delivered", "delivered_at"),
    "NotificationRead": _moved("read", "read_at"),
    "NotificationFailed": _moved("failed", "failed_at"),
}
"""Stored event type -> how it changes the history."""
