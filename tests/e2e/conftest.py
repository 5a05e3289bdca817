"""The real `ledger serve` process on its own database, and a small GraphQL client for it."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
import pytest
from psycopg import sql

from adapters.embedded import create_database, free_port
from api.auth import Role, TokenKeys

if TYPE_CHECKING:
    from tests.conftest import NatsNames

MOSCOW = timezone(timedelta(hours=3))
STARTUP_SECONDS = 60.0
STOP_SECONDS = 10.0
TOKEN_TTL = 3600
MASTER_KEY = os.environ.get("LEDGER_MASTER_KEY") or base64.b64encode(os.urandom(32)).decode()
"""One LEDGER_MASTER_KEY for every server of the run, given in each server's environment (not
this process's, which other suites share): servers sharing a database must agree on the key
that wraps its personal-data keys, as several machines must."""
PURPOSE = "audit:e2e-checks"
"""The X-Purpose the client declares unless told: personal data is shown (and audited)."""

APPEAL_FIELDS = """
  number accountNumber channel type form status receivedAt subject text
  contact { name phone email postalAddress } replyChannel externalId assignee extended
  answeredAt answerChannel closedAt withoutConsiderationReason relatedAppealNumber
  history { eventType status }
"""
INPUT_TYPES = {
    "registerAppeal": "RegisterAppealInput",
    "assignAppeal": "AssignAppealInput",
    "requestClarification": "AppealNoteInput",
    "deferAppeal": "DeferAppealInput",
    "extendAppeal": "ExtendAppealInput",
    "answerAppeal": "AnswerAppealInput",
    "closeAppeal": "AppealNoteInput",
    "leaveAppealWithoutConsideration": "LeaveWithoutConsiderationInput",
}
"""Appeal mutation -> its input type, to send every input as the variable `$input`."""
RECORD_INTERACTION = """
mutation($input: RecordInteractionInput!) {
  recordInteraction(input: $input) { position interactionId duplicate account { number } }
}"""
APPEAL = f"query($number: String!) {{ appeal(number: $number) {{ {APPEAL_FIELDS} }} }}"
TIMELINE = """
query($number: String!) {
  account(number: $number) {
    timeline(first: 200) {
      edges { node { position eventType channel appealNumber summary details } }
    }
  }
}"""


@dataclass(frozen=True)
class Answer:
    """One GraphQL response: its HTTP status and JSON body."""

    status: int
    body: dict[str, Any]

    @property
    def data(self) -> dict[str, Any]:
        """The data of a successful answer (fails the test on any error)."""
        assert self.status == 200, self.body
        assert not self.body.get("errors"), self.body["errors"]
        data: dict[str, Any] = self.body["data"]
        return data

    @property
    def error(self) -> dict[str, Any]:
        """The first error of a refused answer (fails the test if there is none)."""
        errors: list[dict[str, Any]] = self.body.get("errors") or []
        assert errors, f"expected an error, got {self.body}"
        return errors[0]

    @property
    def code(self) -> str:
        """`extensions.code` of the first error."""
        return str(self.error["extensions"]["code"])


@dataclass
class LedgerClient:
    """Talks to the running service over HTTP, as a frontend would."""

    base_url: str
    keys: TokenKeys
    http: httpx.Client
    tokens: dict[Role, str] = field(default_factory=dict)

    def token(self, role: Role) -> str:
        """A valid bearer token for a role."""
        if role not in self.tokens:
            self.tokens[role] = self.keys.issue(role, f"e2e-{role.value}", TOKEN_TTL)
        return self.tokens[role]

    def gql(
        self, query: str, variables: dict[str, Any] | None = None,
        token: str | Role | None = Role.OPERATOR, purpose: str | None = PURPOSE,
    ) -> Answer:
        """POST a GraphQL request; a Role sends its token, a str is sent as is, None sends none.

        `purpose` is sent as X-Purpose (None sends none: personal data comes back masked)."""
        bearer = self.token(token) if isinstance(token, Role) else token
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        if purpose is not None:
            headers["X-Purpose"] = purpose
        response = self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        return Answer(status=response.status_code, body=response.json())

    def get(self, path: str, token: str | Role | None = None) -> httpx.Response:
        """A plain GET, e.g. /health or /metrics."""
        bearer = self.token(token) if isinstance(token, Role) else token
        headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
        return self.http.get(path, headers=headers)

    def mutate(
        self, mutation: str, values: dict[str, Any], token: str | Role | None = Role.OPERATOR
    ) -> Answer:
        """One appeal mutation with its input; the answer selects the whole appeal."""
        query = (
            f"mutation($input: {INPUT_TYPES[mutation]}!) {{ {mutation}(input: $input) "
            f"{{ position duplicate appeal {{ {APPEAL_FIELDS} }} }} }}"
        )
        return self.gql(query, {"input": values}, token)

    def succeed(self, mutation: str, values: dict[str, Any]) -> dict[str, Any]:
        """An appeal mutation that must succeed: its payload (position, appeal)."""
        payload: dict[str, Any] = self.mutate(mutation, values).data[mutation]
        return payload

    def register(self, account: str, channel: str = "EMAIL", **fields: Any) -> dict[str, Any]:
        """Register an appeal (a written statement with a phone, unless told) and return it."""
        values = {
            "accountNumber": account, "channel": channel, "type": "STATEMENT",
            "receivedAt": datetime.now(MOSCOW).isoformat(), "subject": "Перерасчёт",
            "text": "Прошу сделать перерасчёт за март.", "contact": {"phone": "+79001234567"},
        } | fields
        appeal: dict[str, Any] = self.succeed("registerAppeal", values)["appeal"]
        return appeal

    def record(self, values: dict[str, Any]) -> Answer:
        """recordInteraction with an input."""
        return self.gql(RECORD_INTERACTION, {"input": values})

    def appeal(self, number: str) -> dict[str, Any] | None:
        """The appeal as `appeal(number)` shows it, with its history."""
        found: dict[str, Any] | None = self.gql(APPEAL, {"number": number}).data["appeal"]
        return found

    def timeline(self, account: str) -> list[dict[str, Any]]:
        """The account's timeline entries, newest first (empty if it was never contacted)."""
        found = self.gql(TIMELINE, {"number": account}).data["account"]
        return [] if found is None else [e["node"] for e in found["timeline"]["edges"]]

    def head(self) -> int:
        """The log head reported by /health: it moves only when something is stored."""
        return int(self.get("/health").json()["head"])


@pytest.fixture(scope="session")
def e2e_database_url(pg_server_url: str, run_id: str) -> Iterator[str]:
    """A database of the e2e run alone: `ledger_e2e_<runid>`, dropped at the end."""
    name = f"ledger_e2e_{run_id}"
    url = create_database(pg_server_url, name)
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="session")
def ledger(
    e2e_database_url: str, nats_server_url: str, nats_names: NatsNames,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LedgerClient]:
    """`ledger serve` as a real process; stopped with SIGTERM (then SIGKILL) at the end."""
    folder = tmp_path_factory.mktemp("ledger-e2e")
    env = os.environ | {
        "LEDGER_DATABASE_URL": e2e_database_url, "LEDGER_SECRET_KEY": secrets.token_urlsafe(48),
        "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_DATA_DIR": str(folder / "data"), "LEDGER_PORT": str(free_port()),
        "LEDGER_NATS_URL": nats_server_url, "LEDGER_NATS_STREAM": nats_names.stream,
        "LEDGER_NATS_SUBJECT_PREFIX": nats_names.subject_prefix,
        # The SLA clock would append marks to these tests' past-dated appeals between two
        # reads of the log head; it scans once at start only. test_sla.py runs its own clocks.
        "LEDGER_CLOCK_INTERVAL_SECONDS": "3600",
        # Likewise the notifier appends notifications after answers and contacts; the
        # notification tests run their own server with it (tests/e2e/notify_server.py).
        "LEDGER_NOTIFY_ENABLED": "false",
    }
    with served(env, folder / "server.log") as client:
        yield client


def start_serve(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`ledger serve` on LEDGER_PORT of `env`, its output written to `log`."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--port", env["LEDGER_PORT"]],
            env=env, stdout=out, stderr=out)


@contextmanager
def served(env: dict[str, str], log: Path) -> Iterator[LedgerClient]:
    """A client of `ledger serve` run with `env` (LEDGER_PORT, LEDGER_SECRET_KEY): healthy
    before it is handed out, stopped with SIGTERM (then SIGKILL) after."""
    process = start_serve(env, log)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{env['LEDGER_PORT']}",
                          timeout=30.0) as http:
            wait_until_healthy(http, process, log)
            yield LedgerClient(base_url=str(http.base_url),
                               keys=TokenKeys(current=env["LEDGER_SECRET_KEY"]), http=http)
    finally:
        stop(process)


def wait_until_healthy(http: httpx.Client, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ledger serve exited with {process.returncode}:\n{_tail(log)}")
        try:
            if http.get("/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    stop(process)
    pytest.fail(f"ledger serve not healthy after {STARTUP_SECONDS:.0f} s:\n{_tail(log)}")


def kill_if_running(process: subprocess.Popen[bytes]) -> None:
    """After a test that stopped the process itself (or failed before): make sure it is gone."""
    if process.poll() is None:
        process.kill()
        process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def account_number() -> str:
    """A random 10-digit account number, so tests never see each other's data."""
    return str(secrets.randbelow(9 * 10**9) + 10**9)


def appeal_number() -> str:
    """A well-formed appeal number that no appeal has (the year 1999 is never allocated)."""
    return f"1999-{secrets.randbelow(10**9):09d}"


def instant() -> datetime:
    """A random minute of 2021–2025 in Moscow time: a receivedAt window no other test uses."""
    start = datetime(2021, 1, 1, tzinfo=UTC) + timedelta(minutes=secrets.randbelow(2_500_000))
    return start.astimezone(MOSCOW)
