"""Campaigns: each campaign's scenario, window, status and how many recipients were asked for.

Campaigns have streams of their own (not accounts'), so this read model sees every stream.
Delivery figures are counted from the notification history (projections/campaign_queries.py).
"""

from __future__ import annotations

from typing import Any

from psycopg import Cursor

from projections.base import LoggedEvent

_STATUS = {
    "CampaignStarted": ("running", "started_at"),
    "CampaignFinished": ("finished", "finished_at"),
    "CampaignCancelled": ("cancelled", "cancelled_at"),
}


class CampaignsProjection:
    """Keeps `campaigns` (one row a campaign) and `campaign_skipped`."""

    name = "campaigns"
    tables = ("campaigns", "campaign_skipped")
    every_stream = True
    """Campaign streams name no account: the projector passes them on all the same."""
    event_types = frozenset({"CampaignCreated", "CampaignChunkRequested", *_STATUS})
    """What it acts on: a rebuild decodes no other event (projections/page.py)."""

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Add a campaign, move its status, or count a chunk asked for."""
        kind, event = logged.type, logged.event
        if kind == "CampaignCreated":
            cur.execute(
                "INSERT INTO campaigns (campaign_id, name, template, channel, subject, text,"
                " window_start, window_end, status, recipients, created_by, created_at,"
                " updated_position) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'created', %s, %s,"
                " %s, %s) ON CONFLICT DO NOTHING",
                (event.campaign_id, event.name, event.template, event.via, event.subject,
                 event.text, event.window_start, event.window_end, event.recipients, event.by,
                 event.at, logged.position))
        elif kind in _STATUS:
            status, column = _STATUS[kind]
            cur.execute(
                f"UPDATE campaigns SET status = %s, {column} = %s, updated_position = %s"
                " WHERE campaign_id = %s", (status, event.at, logged.position,
                                            event.originator_id))
        elif kind == "CampaignChunkRequested":
            self._chunk(cur, logged)

    def _chunk(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        event = logged.event
        cur.execute(
            "UPDATE campaigns SET requested = requested + %s, skipped = skipped + %s,"
            " updated_position = %s WHERE campaign_id = %s",
            (event.requested, len(event.skipped), logged.position, event.originator_id))
        for skipped in event.skipped:
            cur.execute(
                "INSERT INTO campaign_skipped (campaign_id, account_number, reason)"
                " VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (event.originator_id, skipped.account_number, skipped.reason))
