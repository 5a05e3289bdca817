"""The data keys of personal data: one per account stream in `pd_keys`, cached for a short while.

A key is made on the first write of personal data (INSERT ... ON CONFLICT), destroyed by
erasure, and made anew (next generation) by a later write. A cached key is trusted for
`ttl` seconds: an erasure in this process drops it at once, one in another process is seen
within the TTL. A missing key of live data is an error; a destroyed one reads as erased.
Keys are stored wrapped by the master key (adapters/master_key.py) and unwrapped only in
process memory, by `_data_key`, which every read path uses.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import Connection
from psycopg_pool import ConnectionPool

from adapters.master_key import MasterKeys, master_keys
from adapters.pg_retry import on_live_connection
from adapters.settings import get_settings

_UPSERT = (
    "INSERT INTO pd_keys (account_id, generation, key, master_key_id) VALUES (%s, 1, %s, %s)"
    " ON CONFLICT (account_id) DO UPDATE SET generation = pd_keys.generation + 1,"
    " key = EXCLUDED.key, master_key_id = EXCLUDED.master_key_id, created_at = now()"
    " WHERE pd_keys.key IS NULL RETURNING generation, key, master_key_id"
)
_SELECT = "SELECT generation, key, master_key_id FROM pd_keys WHERE account_id = %s"
_SELECT_MANY = ("SELECT account_id, generation, key, master_key_id FROM pd_keys"
                " WHERE account_id = ANY(%s)")
_UPSERT_MANY = (
    "INSERT INTO pd_keys (account_id, generation, key, master_key_id)"
    " SELECT a, 1, k, m FROM unnest(%s::uuid[], %s::bytea[], %s::text[]) AS t(a, k, m)"
    " ON CONFLICT (account_id) DO UPDATE SET generation = pd_keys.generation + 1,"
    " key = EXCLUDED.key, master_key_id = EXCLUDED.master_key_id, created_at = now()"
    " WHERE pd_keys.key IS NULL RETURNING account_id, generation, key, master_key_id"
)
_WRAP = (  # a key stored before wrapping, wrapped in place unless erased or changed meanwhile
    "UPDATE pd_keys SET key = %s, master_key_id = %s"
    " WHERE account_id = %s AND key = %s AND master_key_id IS NULL"
)
_DESTROY = (
    "UPDATE pd_keys SET key = NULL, erased_at = now(), ground = %s"
    " WHERE account_id = %s AND key IS NOT NULL RETURNING generation"
)


class MissingKeyError(Exception):
    """Live personal data whose key is not in `pd_keys`: the key table was lost or tampered."""


@dataclass(frozen=True, repr=False)
class DataKey:
    """A generation of an account's key; `cipher` is None once it was destroyed."""

    generation: int
    cipher: AESGCM | None
    fetched: float = field(default_factory=time.monotonic)


class PdKeyStore:
    """The `pd_keys` table of one database, with a small time-limited cache."""

    def __init__(
        self, url: str, ttl: float = 5.0, capacity: int = 100_000,
        masters: MasterKeys | None = None,
    ) -> None:
        self._url = url
        self.masters = masters or master_keys(get_settings())
        """The master keys that wrap this table's keys."""
        self._ttl = ttl
        self._capacity = capacity
        self._cache: OrderedDict[UUID, DataKey] = OrderedDict()
        self._lock = threading.Lock()
        self._pool: ConnectionPool | None = None

    def for_write(self, account_id: UUID) -> DataKey:
        """The account's live key, made now if it has none (or only destroyed ones)."""
        cached = self._cached(account_id)
        if cached is not None and cached.cipher is not None:
            return cached
        master_id, wrapped = self.masters.wrap(account_id, AESGCM.generate_key(256))
        rows = self._rows(_UPSERT, (account_id, wrapped, master_id))
        row = rows[0] if rows else None
        if row is None:  # a live key was there already
            return self._fetch(account_id)
        return self._remember(account_id, self._data_key(account_id, row))

    def for_read(self, account_id: UUID, generation: int) -> AESGCM | None:
        """The cipher of a key generation; None when it was destroyed (erased)."""
        key = self._cached(account_id)
        if key is None or key.generation < generation:
            key = self._fetch(account_id)
        if generation < key.generation:
            return None  # a newer generation exists only after this one was destroyed
        if generation > key.generation:
            raise MissingKeyError(f"key generation {generation} of {account_id} is missing")
        return key.cipher

    def preload(self, account_ids: Iterable[UUID]) -> None:
        """Load many accounts' keys in one query: replays decode a page of events at once.

        An account without a key row stays unloaded, so its sealed data still fails to read
        in `for_read` (a missing key is an error); a destroyed key loads as erased."""
        wanted = [a for a in set(account_ids) if self._cached(a) is None]
        if not wanted:
            return
        for account_id, *row in self._rows(_SELECT_MANY, (wanted,)):
            self._remember(account_id, self._data_key(account_id, tuple(row)))
            if row[1] is not None and row[2] is None:
                self._wrap_legacy(account_id, bytes(row[1]))

    def make_many(self, account_ids: Iterable[UUID]) -> None:
        """Load, or make in one statement, the live keys of many accounts: a campaign's list
        seals a thousand accounts' figures at once, and a key made per statement (its own
        commit) cost ~3 ms each. A key another writer made meanwhile is fetched by `for_write`.

        Keys are made in account order: two writers making overlapping sets each in its own
        set's order could each hold a row the other waits for, a deadlock that failed a batch."""
        wanted = set(account_ids)
        self.preload(wanted)
        missing = sorted(a for a in wanted if (k := self._cached(a)) is None or k.cipher is None)
        if not missing:
            return
        wrapped = [self.masters.wrap(a, AESGCM.generate_key(256)) for a in missing]
        rows = self._rows(_UPSERT_MANY, (missing, [w for _, w in wrapped],
                                         [m for m, _ in wrapped]))
        for account_id, *row in rows:
            self._remember(account_id, self._data_key(account_id, tuple(row)))

    def destroy(self, account_id: UUID, ground: str) -> bool:
        """Destroy the account's live key; False when it had none to destroy."""
        destroyed = self._rows(_DESTROY, (ground, account_id))
        with self._lock:
            self._cache.pop(account_id, None)
        return bool(destroyed)

    def forget(self) -> None:
        """Drop every cached key (after keys were changed outside this store)."""
        with self._lock:
            self._cache.clear()

    def close(self) -> None:
        """Release the connections."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def _fetch(self, account_id: UUID) -> DataKey:
        rows = self._rows(_SELECT, (account_id,))
        row = rows[0] if rows else None
        if row is None:
            raise MissingKeyError(f"no data key for {account_id}: its personal data is unreadable")
        key = self._data_key(account_id, row)
        if row[1] is not None and row[2] is None:
            self._wrap_legacy(account_id, bytes(row[1]))
        return self._remember(account_id, key)

    def _data_key(self, account_id: UUID, row: tuple[Any, ...]) -> DataKey:
        """A (generation, stored key, master id) row as a usable key: unwrapped in memory only.

        Raises MasterKeyError when the configured master keys cannot unwrap it."""
        generation, stored, master_id = row[0], row[1], row[2]
        if stored is None:
            return DataKey(generation, None)
        return DataKey(generation, AESGCM(self.masters.unwrap(account_id, master_id,
                                                              bytes(stored))))

    def _wrap_legacy(self, account_id: UUID, raw: bytes) -> None:
        """Wrap a key stored before envelope encryption, the first time it is read."""
        master_id, wrapped = self.masters.wrap(account_id, raw)
        self._rows(_WRAP, (wrapped, master_id, account_id, raw))

    def _cached(self, account_id: UUID) -> DataKey | None:
        with self._lock:
            key = self._cache.get(account_id)
            if key is None or time.monotonic() - key.fetched > self._ttl:
                return None
            self._cache.move_to_end(account_id)
            return key

    def _remember(self, account_id: UUID, key: DataKey) -> DataKey:
        with self._lock:
            self._cache[account_id] = key
            self._cache.move_to_end(account_id)
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return key

    def _rows(self, statement: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """One statement's rows (none for a plain UPDATE). Each statement here is safe to run
        twice (an upsert, a guarded update, a read), so a connection the server had closed is
        retried on another (adapters/pg_retry.py)."""
        with self._lock:
            if self._pool is None:
                self._pool = ConnectionPool(self._url, min_size=1, max_size=4,
                                            name="pd-keys", open=False)
                self._pool.open(wait=True, timeout=30)
            pool = self._pool

        def run(conn: Connection[Any]) -> list[tuple[Any, ...]]:
            cur = conn.execute(statement, params)
            return cur.fetchall() if cur.description else []

        return on_live_connection(pool, run)
