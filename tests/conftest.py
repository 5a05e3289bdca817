"""Server fixtures of the whole suite: the machine's PostgreSQL/NATS if present, else embedded."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import hypothesis  # noqa: F401  imported now, single-threaded: see below
import nats
import psycopg
import pytest
from psycopg import sql

from adapters.embedded import EmbeddedNats, EmbeddedPostgres, create_database, reachable

# The hypothesis plugin imports hypothesis in pytest's terminal summary when no test did; with
# the suite's daemon threads still running, CPython 3.11.7 can then fail compiling it ("AST
# constructor recursion depth mismatch", fixed in 3.11.8) and turn a green run into an
# internal error. Importing it here, before any thread starts, leaves nothing to compile then.

logger = logging.getLogger(__name__)

MACHINE_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
MACHINE_NATS = ("127.0.0.1", 4222)


@dataclass(frozen=True)
class NatsNames:
    """This run's JetStream stream and subject prefix, so concurrent runs never share data."""

    stream: str
    subject_prefix: str


def _machine_postgres_usable() -> bool:
    """Whether the local PostgreSQL on 5432 lets us in (trust auth), not merely listens."""
    if not reachable("127.0.0.1", 5432):
        return False
    try:
        psycopg.connect(MACHINE_PG_URL, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def _machine_nats_has_jetstream() -> bool:
    """Whether the local NATS on 4222 announces JetStream in its INFO line."""
    try:
        with socket.create_connection(MACHINE_NATS, timeout=1.0) as sock:
            line = sock.makefile("rb").readline(65536)
    except OSError:
        return False
    if not line.startswith(b"INFO "):
        return False
    try:
        return bool(json.loads(line[5:]).get("jetstream"))
    except ValueError:
        return False


def _private_dir() -> Path:
    """A temp folder outside /root: pgserver's user must traverse every parent."""
    return Path(tempfile.mkdtemp(prefix="ledger-test-", dir="/tmp"))


@pytest.fixture(scope="session")
def run_id() -> str:
    """Random hex naming this run's database, stream and subjects."""
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def nats_names(run_id: str) -> NatsNames:
    """Stream `LEDGER_<RUNID>` and subject prefix `ledger_<runid>` for this run."""
    return NatsNames(stream=f"LEDGER_{run_id.upper()}", subject_prefix=f"ledger_{run_id}")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server's `postgres` database: the machine's, else an embedded one."""
    if _machine_postgres_usable():
        yield MACHINE_PG_URL
        return
    folder = _private_dir()
    try:
        with EmbeddedPostgres(folder) as pg:
            yield pg.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def database_url(pg_server_url: str, run_id: str) -> Iterator[str]:
    """A fresh database `ledger_test_<runid>` for this run, dropped (best effort) at the end."""
    name = f"ledger_test_{run_id}"
    url = create_database(pg_server_url, name)
    yield url
    try:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
    except psycopg.Error as exc:
        logger.warning("could not drop test database %s: %s", name, exc)


@pytest.fixture(scope="session")
def nats_server_url(nats_names: NatsNames) -> Iterator[str]:
    """URL of a NATS server with JetStream: the machine's on 4222 (this run's streams deleted
    at the end, as its database is dropped), else an embedded one."""
    if _machine_nats_has_jetstream():
        url = "nats://{}:{}".format(*MACHINE_NATS)
        yield url
        try:
            asyncio.run(_delete_streams(url, nats_names.stream))
        except Exception as exc:  # best effort, as for the database
            logger.warning("could not delete this run's streams: %s", exc)
        return
    folder = _private_dir()
    try:
        with EmbeddedNats(folder) as nats:
            yield nats.url
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _delete_streams(url: str, prefix: str) -> None:
    """Delete every stream whose name starts with `prefix` (this run's: `LEDGER_<RUNID>...`)."""
    client = await nats.connect(url, connect_timeout=5, max_reconnect_attempts=0)
    try:
        js = client.jetstream()
        for info in await js.streams_info():
            if info.config.name and info.config.name.startswith(prefix):
                await js.delete_stream(info.config.name)
    finally:
        await client.close()


@pytest.fixture
def embedded_nats(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """A private nats-server this test may stop and restart (outage tests)."""
    with EmbeddedNats(tmp_path) as nats:
        yield nats
