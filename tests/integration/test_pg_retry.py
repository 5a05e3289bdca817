"""After PostgreSQL closed the pooled connections (a restart, a failover), the first command
no longer fails: the data keys and appeal numbers it needs are fetched again on a fresh
connection (adapters/pg_retry.py). A failing statement is not run twice."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from psycopg import Connection

from adapters.pd_keys import PdKeyStore
from adapters.pg_retry import on_live_connection
from adapters.postgres import PostgresAppealNumbers, open_pool
from tests.integration.sla_support import sla_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url(pg_server_url: str, run_id: str) -> Iterator[str]:
    """A database of this module's own: the test closes every connection to it."""
    with sla_database(pg_server_url, f"ledger_retry_{run_id}") as made:
        yield made


def close_every_connection(url: str) -> int:
    """What a server restart does to the pools: every other session of the database ends."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                            " datname = current_database() AND pid <> pg_backend_pid()")
        return len(rows.fetchall())


class TestDeadConnections:
    def test_data_keys_are_made_and_read_after_the_connections_died(self, url: str) -> None:
        store = PdKeyStore(url, ttl=0)
        try:
            before, after = uuid.uuid4(), uuid.uuid4()
            made = store.for_write(before)
            assert close_every_connection(url) >= 1

            assert store.for_write(after).generation == 1
            assert store.for_read(before, made.generation) is not None
        finally:
            store.close()

    def test_appeal_numbers_are_allocated_after_the_connections_died(self, url: str) -> None:
        pool = open_pool(url, size=2)
        numbers = PostgresAppealNumbers(pool)
        try:
            account = uuid.uuid4()
            first = numbers.allocate(account, 2026)
            assert close_every_connection(url) >= 1

            second = numbers.allocate(account, 2026)
            assert second != first and numbers.locate(second) == account
        finally:
            pool.close()

    def test_a_failing_statement_is_not_run_again(self, url: str) -> None:
        pool = open_pool(url, size=1)
        runs: list[int] = []

        def broken(conn: Connection[Any]) -> None:
            runs.append(1)
            conn.execute("SELECT * FROM no_such_table")

        try:
            with pytest.raises(psycopg.errors.UndefinedTable):
                on_live_connection(pool, broken)
        finally:
            pool.close()
        assert runs == [1]
