"""`ledger serve` with its notifications on: a local SMTP server and a local SMS provider.

The notification tests run their own server (same start and stop as tests/e2e/conftest.py) on
a database of their own, with the notifier on, the gateways pointed at servers this process
runs, and campaigns allowed at any hour.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
import pytest
from psycopg import sql

from adapters.embedded import create_database, free_port
from api.auth import Role
from tests.e2e.conftest import MASTER_KEY, LedgerClient, served
from tests.integration.notify_support import Mailbox, SmsProvider, sms_provider

if TYPE_CHECKING:
    from tests.conftest import NatsNames

@pytest.fixture(scope="module")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def provider() -> Iterator[SmsProvider]:
    with sms_provider() as found:
        yield found


@pytest.fixture(scope="module")
def notify_env(
    pg_server_url: str, run_id: str, nats_server_url: str, nats_names: NatsNames,
    tmp_path_factory: pytest.TempPathFactory, mailbox: Mailbox, provider: SmsProvider,
) -> Iterator[dict[str, str]]:
    """The server's environment, on `ledger_e2e_notify_<runid>` (dropped at the end)."""
    name = f"ledger_e2e_notify_{run_id}"
    url = create_database(pg_server_url, name)
    folder = tmp_path_factory.mktemp("ledger-e2e-notify")
    yield os.environ | {
        "LEDGER_DATABASE_URL": url, "LEDGER_SECRET_KEY": secrets.token_urlsafe(48),
        "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_DATA_DIR": str(folder / "data"), "LEDGER_PORT": str(free_port()),
        "LEDGER_NATS_URL": nats_server_url, "LEDGER_NATS_STREAM": f"{nats_names.stream}_NTF",
        "LEDGER_NATS_SUBJECT_PREFIX": f"{nats_names.subject_prefix}_ntf",
        "LEDGER_CLOCK_INTERVAL_SECONDS": "3600", "LEDGER_LOG_LEVEL": "WARNING",
        "LEDGER_SMTP_HOST": "127.0.0.1", "LEDGER_SMTP_PORT": str(mailbox.port),
        "LEDGER_SMTP_FROM": "ledger@example.ru",
        "LEDGER_SMS_GATEWAY_URL": f"http://127.0.0.1:{provider.port}/send",
        "LEDGER_SMS_GATEWAY_TOKEN": "sms-secret", "LEDGER_CAMPAIGN_HOURS": "00:00-24:00",
        "LEDGER_NOTIFY_POLL_SECONDS": "0.1", "LEDGER_NOTIFY_RETRY_BASE_SECONDS": "0.1",
        "LEDGER_NOTIFY_RETRY_MAX_SECONDS": "0.5", "LEDGER_SURVEY_URL": "https://q.example.ru/s",
    }
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="module")
def server(notify_env: dict[str, str]) -> Iterator[LedgerClient]:
    """`ledger serve` as a real process with its notifications on."""
    with served(notify_env, Path(notify_env["LEDGER_DATA_DIR"]).parent / "server.log") as client:
        yield client


def receipt(client: LedgerClient, gateway: str, body: Any,
            role: Role | None = Role.INTEGRATION) -> httpx.Response:
    """POST a delivery receipt to the webhook as a gateway would."""
    headers = {} if role is None else {"Authorization": f"Bearer {client.token(role)}"}
    return client.http.post(f"/webhooks/notifications/{gateway}", json=body, headers=headers)
