"""Reading campaigns: one campaign, its live progress and report, its results per recipient."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Connection
from psycopg.rows import dict_row

_COLUMNS = ("campaign_id, name, template, channel, subject, text, window_start, window_end,"
            " status, recipients, requested, skipped, created_by, created_at, started_at,"
            " cancelled_at, finished_at")


class CampaignRow(msgspec.Struct, frozen=True):
    """A campaign as the read model shows it."""

    campaign_id: UUID
    name: str
    template: str
    channel: str
    subject: str
    text: str
    window_start: datetime
    window_end: datetime
    status: str
    recipients: int
    requested: int
    skipped: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    cancelled_at: datetime | None
    finished_at: datetime | None


class Tally(msgspec.Struct, frozen=True):
    """A campaign's notifications by status, and the calls put through to an operator."""

    by_status: dict[str, int]
    transferred: int


class ResultRow(msgspec.Struct, frozen=True):
    """What became of one recipient's notification."""

    account_number: str
    notification_id: UUID
    status: str
    channel: str | None
    reason: str | None
    sent_at: datetime | None
    delivered_at: datetime | None


def read_campaign(conn: Connection[Any], campaign_id: UUID) -> CampaignRow | None:
    """One campaign by its id."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(f"SELECT {_COLUMNS} FROM campaigns WHERE campaign_id = %s",
                          (campaign_id,)).fetchone()
    return None if row is None else CampaignRow(**row)


def running_campaigns(conn: Connection[Any]) -> list[UUID]:
    """The campaigns the runner has work for."""
    rows = conn.execute("SELECT campaign_id FROM campaigns WHERE status = 'running'").fetchall()
    return [UUID(str(r[0])) for r in rows]


def stopped_with_unsent(conn: Connection[Any]) -> list[UUID]:
    """Cancelled or finished campaigns that still have notifications waiting."""
    rows = conn.execute(
        "SELECT DISTINCT n.campaign_id FROM notifications n JOIN campaigns c USING (campaign_id)"
        " WHERE n.status = 'requested' AND c.status IN ('cancelled', 'finished')").fetchall()
    return [UUID(str(r[0])) for r in rows]


def tally(conn: Connection[Any], campaign_id: UUID) -> Tally:
    """How many of the campaign's notifications are in each status."""
    rows = conn.execute(
        "SELECT status, count(*), count(*) FILTER (WHERE transferred) FROM notifications"
        " WHERE campaign_id = %s GROUP BY status", (campaign_id,)).fetchall()
    return Tally({str(r[0]): int(r[1]) for r in rows}, sum(int(r[2]) for r in rows))


def read_results(
    conn: Connection[Any], campaign_id: UUID, status: str | None, first: int, after: str | None
) -> list[ResultRow]:
    """Per recipient, by account number after `after`: each notification's outcome."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(RESULTS, (campaign_id, after or "", status, status, first)).fetchall()
    return [ResultRow(**row) for row in rows]


RESULTS = ("SELECT account_number, notification_id, status, channel, reason, sent_at,"
           " delivered_at FROM notifications WHERE campaign_id = %s AND account_number > %s"
           " AND (%s::text IS NULL OR status = %s) ORDER BY account_number LIMIT %s")
"""A page of a campaign's results, in the order of `notifications_campaign_account`."""


def read_skipped(conn: Connection[Any], campaign_id: UUID, first: int) -> list[tuple[str, str]]:
    """Recipients no notification was requested for, with the reason."""
    rows = conn.execute(
        "SELECT account_number, reason FROM campaign_skipped WHERE campaign_id = %s"
        " ORDER BY account_number LIMIT %s", (campaign_id, first)).fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]

