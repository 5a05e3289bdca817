"""Reading the notification history: an account's messages, one message's steps, receipts."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Connection, sql
from psycopg.rows import dict_row

_COLUMNS = (
    "notification_id, account_number, kind, channel, recipient, subject, text, status, reason,"
    " rule, trigger_ref, appeal_number, interaction_id, campaign_id, requested_at, sent_at,"
    " delivered_at, read_at, failed_at, transferred, gateway_message_id, requested_position")


class NotificationRow(msgspec.Struct, frozen=True):
    """One notification as the history shows it now."""

    notification_id: UUID
    account_number: str
    kind: str
    channel: str | None
    recipient: str | None
    subject: str
    text: str
    status: str
    reason: str | None
    rule: str
    trigger_ref: str
    appeal_number: str | None
    interaction_id: UUID | None
    campaign_id: UUID | None
    requested_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    transferred: bool
    gateway_message_id: str | None
    requested_position: int


class StepRow(msgspec.Struct, frozen=True):
    """One step of a notification: its status after it, when, and what it was about."""

    position: int
    status: str
    at: datetime
    detail: str | None


class NotificationFilter(msgspec.Struct, frozen=True, kw_only=True):
    """Which of an account's notifications to list (None: any)."""

    kind: str | None = None
    channel: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def read_notifications(
    conn: Connection[Any], account_number: str, where: NotificationFilter, first: int,
    before: int | None,
) -> list[NotificationRow]:
    """Up to `first` of the account's notifications older than position `before`, newest first."""
    conditions: list[sql.Composable] = [
        sql.SQL("account_number = %s"), sql.SQL("requested_position < %s")]
    params: list[Any] = [account_number, before if before is not None else 2**62]
    for column, value in (("kind", where.kind), ("channel", where.channel),
                          ("status", where.status)):
        if value is not None:
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            params.append(value)
    if where.since is not None:
        conditions.append(sql.SQL("requested_at >= %s"))
        params.append(where.since)
    if where.until is not None:
        conditions.append(sql.SQL("requested_at < %s"))
        params.append(where.until)
    query = sql.SQL("SELECT {} FROM notifications WHERE {} ORDER BY requested_position DESC"
                    " LIMIT %s").format(sql.SQL(_COLUMNS), sql.SQL(" AND ").join(conditions))
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(query, (*params, first)).fetchall()
    return [NotificationRow(**row) for row in rows]


def read_notification(conn: Connection[Any], notification_id: UUID) -> NotificationRow | None:
    """One notification by its id."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM notifications WHERE notification_id = %s",
                          (notification_id,)).fetchone()
    return None if row is None else NotificationRow(**row)


def read_steps(conn: Connection[Any], notification_id: UUID) -> list[StepRow]:
    """Every step of a notification, in order."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(
            "SELECT position, status, at, detail FROM notification_steps"
            " WHERE notification_id = %s ORDER BY position", (notification_id,)).fetchall()
    return [StepRow(**row) for row in rows]


def locate(
    conn: Connection[Any], channel: str, notification_id: UUID | None,
    gateway_message_id: str | None,
) -> tuple[str, UUID] | None:
    """The account and id of the notification a receipt names (by our id or the gateway's)."""
    if notification_id is not None:
        row = conn.execute(
            "SELECT account_number, notification_id FROM notifications"
            " WHERE notification_id = %s AND channel = %s", (notification_id, channel),
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT account_number, notification_id FROM notifications"
            " WHERE channel = %s AND gateway_message_id = %s", (channel, gateway_message_id),
        ).fetchone()
    return None if row is None else (str(row[0]), UUID(str(row[1])))
