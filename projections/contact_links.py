"""Contact links: which unidentified contact's stream belongs to which client's account.

The latest `LinkedToAccount` of a contact holds, so a wrong link is corrected by a new one.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

import msgspec
from psycopg import Connection, Cursor

from domain.identity import account_stream_id
from projections.base import LoggedEvent


class ContactLink(msgspec.Struct, frozen=True):
    """An unidentified contact's stream and the account it was linked to."""

    contact_ref: str
    account_number: str


class ContactLinksProjection:
    """Keeps one `contact_links` row per linked contact."""

    name = "contact_links"
    tables = ("contact_links",)
    event_types = frozenset({"LinkedToAccount"})  # a rebuild decodes only these

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        """Record or move the link; every other event leaves the table alone."""
        if logged.type != "LinkedToAccount":
            return
        event = logged.event
        cur.execute(
            "INSERT INTO contact_links (contact_ref, account_number, account_id, linked_at,"
            " linked_by, position) VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (contact_ref)"
            " DO UPDATE SET account_number = EXCLUDED.account_number,"
            " account_id = EXCLUDED.account_id, linked_at = EXCLUDED.linked_at,"
            " linked_by = EXCLUDED.linked_by, position = EXCLUDED.position"
            " WHERE contact_links.position < EXCLUDED.position",
            (logged.account_number, event.account_number, account_stream_id(event.account_number),
             event.at, event.by, logged.position),
        )


def linked_contacts(conn: Connection[Any], account_number: str) -> list[str]:
    """The references of the contacts linked to an account, oldest link first."""
    rows = conn.execute(
        "SELECT contact_ref FROM contact_links WHERE account_number = %s ORDER BY position",
        (account_number,),
    ).fetchall()
    return [row[0] for row in rows]


def linked_account(conn: Connection[Any], contact_ref: str) -> str | None:
    """The account an unidentified contact is linked to now, if any."""
    row = conn.execute(
        "SELECT account_number FROM contact_links WHERE contact_ref = %s", (contact_ref,)
    ).fetchone()
    return None if row is None else str(row[0])


def linked_streams(conn: Connection[Any], account_ids: Collection[UUID]) -> frozenset[UUID]:
    """The streams of the contacts linked to any of these accounts' streams."""
    rows = conn.execute(
        "SELECT contact_ref FROM contact_links WHERE account_id = ANY(%s)", (list(account_ids),)
    ).fetchall()
    return frozenset(account_stream_id(row[0]) for row in rows)
