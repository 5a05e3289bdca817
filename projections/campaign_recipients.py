"""Campaign recipients: which campaigns list an account, and in which of their events.

A campaign's list lives in its own stream (domain/campaign.py), its figures sealed under each
recipient's key; this index lets the subject's report find them without reading every campaign.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
from psycopg import Connection, Cursor

from projections.base import LoggedEvent


class Listing(msgspec.Struct, frozen=True):
    """A campaign that lists the account, and the version of the event that lists it."""

    campaign_id: UUID
    listed_version: int


class CampaignRecipientsProjection:
    """One `campaign_recipients` row per account a campaign lists."""

    name = "campaign_recipients"
    tables = ("campaign_recipients",)
    every_stream = True  # campaigns have streams of their own, not accounts'
    event_types = frozenset({"CampaignRecipientsListed"})

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Index a chunk of a campaign's list; every other event leaves the table alone."""
        if logged.type != "CampaignRecipientsListed":
            return
        event = logged.event
        numbers = [r.account_number for r in event.recipients]
        cur.execute(
            "INSERT INTO campaign_recipients (account_number, campaign_id, listed_version,"
            " position) SELECT n, %s, %s, %s FROM unnest(%s::text[]) AS n"
            " ON CONFLICT DO NOTHING",
            (event.originator_id, event.originator_version, logged.position, numbers),
        )


def listings(conn: Connection[Any], account_number: str) -> list[Listing]:
    """The campaigns that list an account, oldest first."""
    rows = conn.execute(
        "SELECT campaign_id, listed_version FROM campaign_recipients WHERE account_number = %s"
        " ORDER BY position", (account_number,),
    ).fetchall()
    return [Listing(row[0], row[1]) for row in rows]
