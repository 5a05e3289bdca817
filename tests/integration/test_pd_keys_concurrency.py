"""Two committers making data keys for overlapping bursts of new accounts at once must both
succeed. Each made its keys in its own set's order, so each could hold a row the other waited
for while waiting for one the other held: PostgreSQL then failed one batch as a deadlock."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from adapters.bootstrap import prepare_database
from adapters.pd_keys import PdKeyStore

pytestmark = pytest.mark.integration

ROUNDS = 200  # before the fix, a few of 200 rounds deadlocked
SHARED, OWN = 50, 200  # sets of different sizes iterate shared accounts in different orders


def make_at_once(stores: list[PdKeyStore], sets: list[list[uuid.UUID]]) -> None:
    start = threading.Barrier(len(stores))

    def make(store: PdKeyStore, accounts: list[uuid.UUID]) -> None:
        start.wait()
        store.make_many(accounts)

    with ThreadPoolExecutor(len(stores)) as pool:
        for future in [pool.submit(make, s, a) for s, a in zip(stores, sets, strict=True)]:
            future.result(timeout=30)


class TestConcurrentKeys:
    def test_overlapping_bursts_of_new_accounts_all_get_one_key(self, database_url: str) -> None:
        prepare_database(database_url)
        stores = [PdKeyStore(database_url, ttl=0) for _ in range(2)]
        made: list[uuid.UUID] = []
        try:
            for _ in range(ROUNDS):
                shared = [uuid.uuid4() for _ in range(SHARED)]
                own = [uuid.uuid4() for _ in range(OWN)]
                make_at_once(stores, [shared, own + shared])
                made += shared + own
        finally:
            for store in stores:
                store.close()

        with psycopg.connect(database_url) as conn:
            rows = conn.execute("SELECT generation, count(*) FROM pd_keys"
                                " WHERE account_id = ANY(%s) AND key IS NOT NULL"
                                " GROUP BY generation", (made,)).fetchall()
        assert rows == [(1, len(made))]
