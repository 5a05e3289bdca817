"""`ledger serve` stopped by SIGTERM while requests pour in: every command it acknowledged is
in the log, and none that it did not (an accepted input is never lost; a refused one stores
nothing)."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from adapters.embedded import create_database, free_port
from api.auth import Role, TokenKeys
from tests.e2e.conftest import (
    MASTER_KEY,
    STOP_SECONDS,
    kill_if_running,
    start_serve,
    wait_until_healthy,
)
from tests.integration.audit_support import EVENTS_TABLE

pytestmark = pytest.mark.e2e

MUTATION = "mutation($i: RecordInteractionInput!) { recordInteraction(input: $i) { position } }"
REQUESTS = 400
FIRST_ANSWERS = 5


@pytest.fixture
def env(pg_server_url: str, run_id: str, tmp_path: Path) -> Iterator[dict[str, str]]:
    name = f"ledger_e2e_stop_{run_id}"
    yield os.environ | {
        "LEDGER_DATABASE_URL": create_database(pg_server_url, name),
        "LEDGER_SECRET_KEY": secrets.token_urlsafe(48), "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_DATA_DIR": str(tmp_path / "data"), "LEDGER_PORT": str(free_port()),
        "LEDGER_NOTIFY_ENABLED": "false", "LEDGER_RATE_LIMIT_PER_SECOND": "0",
        "LEDGER_NATS_URL": "nats://127.0.0.1:1",  # publishing is not what this is about
    }
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


async def pour(base_url: str, token: str, stop: asyncio.Event) -> list[int]:
    """REQUESTS contacts at once; which of them were acknowledged."""
    acknowledged: list[int] = []

    async def one(http: httpx.AsyncClient, k: int) -> None:
        contact = {"accountNumber": str(7_800_000_000 + k % 50), "channel": "CHAT",
                   "direction": "INBOUND", "occurredAt": "2026-11-26T10:00:00+03:00",
                   "summary": f"сообщение {k}", "externalId": f"stop-{k}"}
        try:
            response = await http.post("/graphql", json={"query": MUTATION,
                                                         "variables": {"i": contact}})
            if (response.json().get("data") or {}).get("recordInteraction"):
                acknowledged.append(k)
                if len(acknowledged) == FIRST_ANSWERS:
                    stop.set()  # stopped with the rest of the requests in flight
        except httpx.HTTPError:
            pass  # the server went away: not acknowledged

    async with httpx.AsyncClient(base_url=base_url, timeout=30.0,
                                 headers={"Authorization": f"Bearer {token}"}) as http:
        await asyncio.gather(*(one(http, k) for k in range(REQUESTS)))
        stop.set()  # all answered before the stop (too fast a machine): the test says so
    return acknowledged


def stored(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        states = conn.execute(sql.SQL("SELECT state FROM {}").format(
            sql.Identifier(EVENTS_TABLE))).fetchall()
    found = set()
    for (state,) in states:
        external = json.loads(bytes(state)).get("external_id") or ""
        if external.startswith("stop-"):
            found.add(int(external.removeprefix("stop-")))
    return found


def test_every_acknowledged_command_is_stored_after_a_sigterm(
    env: dict[str, str], tmp_path: Path
) -> None:
    process = start_serve(env, tmp_path / "server.log")
    base_url = f"http://127.0.0.1:{env['LEDGER_PORT']}"
    token = TokenKeys(current=env["LEDGER_SECRET_KEY"]).issue(Role.OPERATOR, "e2e-stop", 600)
    try:
        with httpx.Client(base_url=base_url) as http:
            wait_until_healthy(http, process, tmp_path / "server.log")

        async def run() -> list[int]:
            stop = asyncio.Event()

            async def terminate() -> None:
                await stop.wait()
                process.send_signal(signal.SIGTERM)

            acknowledged, _ = await asyncio.gather(pour(base_url, token, stop), terminate())
            return acknowledged

        acknowledged = asyncio.run(run())
        code = process.wait(timeout=STOP_SECONDS)
    finally:
        kill_if_running(process)

    assert code == 0
    assert FIRST_ANSWERS <= len(acknowledged) < REQUESTS  # stopped with work in flight
    assert stored(env["LEDGER_DATABASE_URL"]) == set(acknowledged)
