"""What PersonalDataErased does to read models: their personal data reads as erased.

Events read after the key is destroyed decode with erased markers already; these updates
erase what was projected before, so a live read model and a rebuilt one hold the same."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec
from psycopg import Cursor
from psycopg.types.json import Jsonb

from domain.personal_data import erased_by_type, personal_event_types
from domain.values import ERASED, Contact
from projections.base import camelized

ERASED_CONTACT = msgspec.to_builtins(
    Contact(name=ERASED, phone=ERASED, email=ERASED, postal_address=ERASED))
"""A contact as an erased AppealRegistered decodes it, in the read models' JSON."""


def erased_details(event_type: str, details: dict[str, Any]) -> dict[str, Any]:
    """An event's camelCase `details` with each personal field that had a value erased."""
    erased = camelized(msgspec.to_builtins(erased_by_type(event_type)))
    return {k: erased[k] if k in erased and v is not None else v for k, v in details.items()}


TIMELINE_ROWS = ("SELECT position, event_type, details FROM timeline_entries"
                 " WHERE account_number = %s AND event_type = ANY(%s)")
"""An account's timeline rows that hold personal data, found through the account's index
(by stream id they were found by reading the whole table, at every erasure)."""
APPEAL_ROWS = ("SELECT h.position, h.event_type, h.details FROM appeal_status_history h"
               " JOIN appeal_status_appeals a USING (appeal_number)"
               " WHERE a.account_number = %s AND h.event_type = ANY(%s)")
"""The same for the history of an account's appeals."""


def erase_timeline(
    cur: Cursor[Any], account_number: str, summary: Callable[[str, dict[str, Any]], str]
) -> None:
    """Erase an account's timeline rows; `summary` makes a row's summary from erased fields."""
    rows = cur.execute(TIMELINE_ROWS, (account_number, list(personal_event_types()))).fetchall()
    cur.executemany(
        "UPDATE timeline_entries SET summary = %s, details = %s WHERE position = %s",
        [(summary(kind, erased_by_type(kind)), Jsonb(erased_details(kind, details)), position)
         for position, kind, details in rows],
    )


def erase_appeals(cur: Cursor[Any], account_number: str) -> None:
    """Erase an account's appeals: their texts, contacts and the history's details."""
    cur.execute(
        "UPDATE appeal_status_appeals SET subject = %s, text = %s,"
        " contact = CASE WHEN contact IS NULL THEN NULL ELSE %s END WHERE account_number = %s",
        (ERASED, ERASED, Jsonb(ERASED_CONTACT), account_number),
    )
    rows = cur.execute(APPEAL_ROWS, (account_number, list(personal_event_types()))).fetchall()
    cur.executemany(
        "UPDATE appeal_status_history SET details = %s WHERE position = %s",
        [(Jsonb(erased_details(kind, details)), position) for position, kind, details in rows],
    )
