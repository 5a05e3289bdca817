"""The shared LISTEN connection of a process (adapters/log_notifications.py)."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from adapters.log_notifications import LogNotifications

pytestmark = pytest.mark.integration


def listening(url: str, channel: str) -> int:
    """How many sessions of the database last ran this channel's LISTEN."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname ="
                           " current_database() AND query = %s",
                           (f'LISTEN "{channel}"',)).fetchone()
    assert row is not None
    return int(row[0])


class TestRelease:
    def test_the_last_follower_to_let_go_closes_the_connection_before_it_returns(
        self, database_url: str
    ) -> None:
        """`ledger serve` stops the embedded server right after: a connection still open
        then was logged as lost, and the listener tried to reconnect."""
        channel = f"test_{uuid.uuid4().hex[:12]}"
        first = LogNotifications.acquire(database_url, channel)
        second = LogNotifications.acquire(database_url, channel)
        assert first is second and listening(database_url, channel) == 1

        first.release()
        assert listening(database_url, channel) == 1  # the other follower still listens

        second.release()
        assert listening(database_url, channel) == 0

    def test_a_notify_wakes_a_waiting_follower(self, database_url: str) -> None:
        channel = f"test_{uuid.uuid4().hex[:12]}"
        listener = LogNotifications.acquire(database_url, channel)
        try:
            seen = listener.count
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute(f'NOTIFY "{channel}"')
            listener.wait_past(seen, timeout=5)
            assert listener.count > seen
        finally:
            listener.release()
