"""The dispatcher's bookkeeping in `notify_dispatch`: leases, back-off, what a gateway accepted.

Leases and back-off are on the database's clock, so several dispatchers agree on them. A
campaign's notifications are claimed only while its window is open and it is running; the
allowed hours are checked by the caller (they depend on the office's clock).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.rows import dict_row

from adapters.notify.gateways import Outgoing
from domain.notification_values import NotificationChannel

_CLAIM = """
WITH due AS (
    SELECT n.notification_id FROM notifications n
    LEFT JOIN notify_dispatch d USING (notification_id)
    LEFT JOIN campaigns c ON c.campaign_id = n.campaign_id
    WHERE n.status = 'requested' AND n.channel IS NOT NULL AND d.recorded_at IS NULL
      AND coalesce(d.next_attempt_at, '-infinity') <= now()
      AND coalesce(d.lease_until, '-infinity') < now()
      AND (n.campaign_id IS NULL OR (%(open)s AND c.status = 'running'
           AND c.window_start <= %(now)s AND c.window_end > %(now)s))
    ORDER BY n.requested_position LIMIT %(limit)s
), claimed AS (
    INSERT INTO notify_dispatch (notification_id, lease_until)
    SELECT notification_id, now() + make_interval(secs => %(lease)s) FROM due
    ON CONFLICT (notification_id) DO UPDATE SET lease_until = excluded.lease_until
        WHERE notify_dispatch.lease_until < now() AND notify_dispatch.next_attempt_at <= now()
    RETURNING notification_id, gateway_message_id, attempts
)
SELECT n.notification_id, n.account_number, n.kind, n.channel, n.recipient, n.subject, n.text,
       n.campaign_id, claimed.gateway_message_id, claimed.attempts
FROM claimed JOIN notifications n USING (notification_id)
"""


class Claimed:
    """A notification this dispatcher holds the lease of, and whether a gateway took it."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.message = Outgoing(
            notification_id=row["notification_id"], account_number=row["account_number"],
            kind=row["kind"], channel=NotificationChannel(row["channel"]),
            recipient=row["recipient"], subject=row["subject"], text=row["text"],
            campaign_id=row["campaign_id"])
        self.accepted_as: str | None = row["gateway_message_id"]
        self.attempts: int = row["attempts"]


def claim(conn: Connection[Any], now: datetime, campaigns_open: bool, limit: int,
          lease_seconds: float) -> list[Claimed]:
    """Lease up to `limit` notifications due now; no other dispatcher gets them meanwhile."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(_CLAIM, {"now": now, "open": campaigns_open, "limit": limit,
                                    "lease": lease_seconds}).fetchall()
    return [Claimed(row) for row in rows]


def extend(conn: Connection[Any], ids: list[UUID], lease_seconds: float) -> None:
    """Keep the leases of notifications still being sent (a slow gateway is awaited, never
    abandoned: another dispatcher must not send them too)."""
    conn.execute("UPDATE notify_dispatch SET lease_until = now() + make_interval(secs => %s)"
                 " WHERE notification_id = ANY(%s) AND recorded_at IS NULL",
                 (lease_seconds, ids))


def accepted(conn: Connection[Any], done: list[tuple[UUID, str]]) -> None:
    """Remember what the gateways took, before the ledger hears of it (no resend after a
    crash in between: the next claim only records it)."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE notify_dispatch SET gateway_message_id = %s, accepted_at = now(),"
            " attempts = attempts + 1 WHERE notification_id = %s",
            [(gateway_id, notification_id) for notification_id, gateway_id in done])


def retry_later(conn: Connection[Any], failed: list[tuple[UUID, str]], base: float,
                ceiling: float) -> None:
    """A gateway was down: try again after a growing, jittered while (never drop)."""
    with conn.cursor() as cur:
        cur.executemany(
            "UPDATE notify_dispatch SET attempts = attempts + 1, last_error = %s,"
            " lease_until = '-infinity', next_attempt_at = now() + make_interval(secs =>"
            " least(%s * power(2, attempts), %s) * (0.5 + random() / 2))"
            " WHERE notification_id = %s",
            [(error[:1000], base, ceiling, notification_id) for notification_id, error in failed])


def recorded(conn: Connection[Any], ids: list[UUID]) -> None:
    """The ledger has these outcomes: never claim them again (whatever the read model says)."""
    conn.execute("UPDATE notify_dispatch SET recorded_at = now(), lease_until = '-infinity'"
                 " WHERE notification_id = ANY(%s)", (ids,))


def unsent(conn: Connection[Any], campaign_id: UUID, limit: int) -> list[tuple[str, UUID]]:
    """A campaign's notifications still waiting: not being sent now (no lease), nor taken by
    a gateway already (the dispatcher is about to record that)."""
    rows = conn.execute(
        "SELECT n.account_number, n.notification_id FROM notifications n"
        " LEFT JOIN notify_dispatch d USING (notification_id)"
        " WHERE n.campaign_id = %s AND n.status = 'requested' AND d.gateway_message_id IS NULL"
        " AND coalesce(d.lease_until, '-infinity') < now() LIMIT %s",
        (campaign_id, limit)).fetchall()
    return [(str(r[0]), UUID(str(r[1]))) for r in rows]
