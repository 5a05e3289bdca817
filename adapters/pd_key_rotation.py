"""Checking and rotating the master key of `pd_keys`.

At start every process checks that each master key the table names is configured (and
unwraps one key of each), so a wrong master key stops it with a clear error instead of
failing on some later read. `rewrap` moves every live key under the current master: run it
once every process has the new key, then the previous one can be dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import psycopg

from adapters.master_key import MasterKeyError, MasterKeys

BATCH = 500
_SAMPLES = (
    "SELECT DISTINCT ON (master_key_id) master_key_id, account_id, key, count(*) OVER"
    " (PARTITION BY master_key_id) FROM pd_keys WHERE key IS NOT NULL"
    " ORDER BY master_key_id, account_id"
)
_STALE = "key IS NOT NULL AND master_key_id IS DISTINCT FROM %s"
_PAGE = (f"SELECT account_id, key, master_key_id FROM pd_keys WHERE {_STALE}"
         " AND account_id > %s ORDER BY account_id LIMIT %s")
_MOVE = ("UPDATE pd_keys SET key = %s, master_key_id = %s WHERE account_id = %s AND key = %s"
         " AND master_key_id IS NOT DISTINCT FROM %s")


def check_master_keys(url: str, masters: MasterKeys) -> None:
    """Refuse to start when a live key of the table does not unwrap with the master keys given.

    Raises MasterKeyError naming the master key ids found and those configured."""
    with psycopg.connect(url, autocommit=True) as conn:
        samples = conn.execute(_SAMPLES).fetchall()
    for master_id, account_id, stored, count in samples:
        if master_id is not None and master_id not in masters.ids:
            raise MasterKeyError(
                f"pd_keys holds {count} data key(s) wrapped by master key {master_id}, which is "
                f"not configured: LEDGER_MASTER_KEY / LEDGER_MASTER_KEY_PREVIOUS (or the data "
                f"dir's master.key) give {', '.join(masters.ids)}. Set the master key these "
                "keys were wrapped with.")
        masters.unwrap(account_id, master_id, bytes(stored))


def stale_keys(url: str, masters: MasterKeys) -> int:
    """How many live keys are not (yet) wrapped by the current master."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(f"SELECT count(*) FROM pd_keys WHERE {_STALE}",
                           (masters.current.id,)).fetchone()
    return 0 if row is None else int(row[0])


def rewrap(url: str, masters: MasterKeys, progress: Callable[[int], object]) -> int:
    """Wrap every live key not under the current master anew; the number moved.

    A row erased or rewrapped meanwhile is left as it is (the update matches its old value)."""
    moved, after = 0, UUID(int=0)
    with psycopg.connect(url, autocommit=True) as conn:
        while rows := conn.execute(_PAGE, (masters.current.id, after, BATCH)).fetchall():
            with conn.transaction():
                moved += sum(_move(conn, masters, row) for row in rows)
            after = rows[-1][0]
            progress(len(rows))
    return moved


def _move(conn: psycopg.Connection[Any], masters: MasterKeys, row: tuple[Any, ...]) -> int:
    account_id, stored, master_id = row[0], bytes(row[1]), row[2]
    new_id, wrapped = masters.wrap(account_id, masters.unwrap(account_id, master_id, stored))
    cursor = conn.execute(_MOVE, (wrapped, new_id, account_id, stored, master_id))
    return cursor.rowcount
