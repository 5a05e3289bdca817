"""PostgreSQL wiring: the event store's environment, the connection pool, appeal numbers."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool

from adapters.pd_mapper import mapper_topic
from adapters.pg_retry import on_live_connection
from domain.identity import format_appeal_number


def eventsourcing_env(url: str, schema: str = "public", pool_size: int = 10) -> dict[str, str]:
    """The explicit environment the eventsourcing library is built from (never os.environ)."""
    info = conninfo_to_dict(url)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(info.get("dbname", "postgres")),
        "POSTGRES_HOST": str(info.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(info.get("port", "5432")),
        "POSTGRES_USER": str(info.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(info.get("password", "")),
        "POSTGRES_SCHEMA": schema,
        # kept open: 2; opened on demand up to pool_size more (the library opens min eagerly)
        "POSTGRES_POOL_SIZE": "2",
        "POSTGRES_MAX_OVERFLOW": str(pool_size),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "APPLICATION_RECORDER_TOPIC": "adapters.event_store:LockingApplicationRecorder",
        "MAPPER_TOPIC": mapper_topic(url),  # seals personal data (adapters/pd_mapper.py)
        "TRANSCODER_TOPIC": "adapters.transcoder:MsgspecTranscoder",
        "AGGREGATE_CACHE_MAXSIZE": "20000",
        "AGGREGATE_CACHE_FASTFORWARD": "y",
        "CREATE_TABLE": "n",
    }


def open_pool(url: str, size: int = 10, name: str = "ledger") -> ConnectionPool:
    """A connection pool for read models and the appeal numbers (not the event store's)."""
    pool = ConnectionPool(url, min_size=1, max_size=size, name=name, open=False)
    pool.open(wait=True, timeout=30)
    return pool


class PostgresAppealNumbers:
    """Appeal numbers from the `appeal_number_seq` sequence, with their account recorded."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    def allocate(self, account_id: UUID, year: int) -> str:
        """A new number such as 2026-000123; a gap after a refused command is harmless (as
        is one after a retry on a connection the server had closed, adapters/pg_retry.py)."""
        def take(conn: Connection[Any]) -> str:
            row = conn.execute("SELECT nextval('appeal_number_seq')").fetchone()
            assert row is not None
            number = format_appeal_number(year, int(row[0]))
            conn.execute(
                "INSERT INTO appeal_numbers (appeal_number, account_id) VALUES (%s, %s)",
                (number, account_id),
            )
            return number

        return on_live_connection(self._pool, take)

    def locate(self, appeal_number: str) -> UUID | None:
        """The account stream the appeal lives in, or None for an unknown number."""
        row = on_live_connection(self._pool, lambda conn: conn.execute(
            "SELECT account_id FROM appeal_numbers WHERE appeal_number = %s",
            (appeal_number,),
        ).fetchone())
        return None if row is None else UUID(str(row[0]))
