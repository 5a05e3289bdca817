"""`ledger serve` on a database of the SLA tests alone, `ledger clock` beside it, the queries.

The timeliness report and the timer list count every timer of the database, so the SLA tests
run their own server (same start and stop as tests/e2e/conftest.py) to know every count. Its
own clock looks once an hour (once, at start, in practice): the tests start `ledger clock`
processes when they want marks, after setting up appeals whose steps are dated in the past,
so that no clock sees an appeal before the steps that stop its timers are recorded.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import psycopg
import pytest
from psycopg import sql

from adapters.embedded import create_database, free_port
from api.auth import Role
from tests.e2e.conftest import MASTER_KEY, LedgerClient, served, stop

if TYPE_CHECKING:
    from tests.conftest import NatsNames

T = TypeVar("T")
SERVE_CLOCK_INTERVAL, CLOCK_INTERVAL = "3600", "0.2"

TIMER_FIELDS = "id kind startedAt dueDate dueAt state metAt breachRecorded remainingHours"
APPEAL_TIMERS = f"""
query($number: String!) {{ appeal(number: $number) {{ number timers {{ {TIMER_FIELDS} }} }} }}"""
SLA_TIMERS = f"""
query($filter: SlaTimerFilter, $first: Int!, $after: String) {{
  slaTimers(filter: $filter, first: $first, after: $after) {{
    edges {{ cursor node {{ {TIMER_FIELDS} appealNumber channel appealType assignee }} }}
    pageInfo {{ hasNextPage endCursor }}
  }}
}}"""
TIMELINESS = """
query($from: Date!, $to: Date!, $period: TimelinessPeriod!) {
  timeliness(from: $from, to: $to, period: $period) {
    periodStart periodEnd channel appealType met breached open cancelled decided share
  }
}"""


@pytest.fixture(scope="module")
def sla_database_url(pg_server_url: str, run_id: str) -> Iterator[str]:
    """`ledger_e2e_sla_<runid>`, dropped at the end."""
    name = f"ledger_e2e_sla_{run_id}"
    url = create_database(pg_server_url, name)
    yield url
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


@pytest.fixture(scope="module")
def sla_env(
    sla_database_url: str, nats_server_url: str, nats_names: NatsNames,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """The environment of the SLA server (and of `ledger sla report` against its database)."""
    folder = tmp_path_factory.mktemp("ledger-e2e-sla")
    return os.environ | {
        "LEDGER_DATABASE_URL": sla_database_url, "LEDGER_SECRET_KEY": secrets.token_urlsafe(48),
        "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_DATA_DIR": str(folder / "data"), "LEDGER_PORT": str(free_port()),
        "LEDGER_NATS_URL": nats_server_url, "LEDGER_NATS_STREAM": f"{nats_names.stream}_SLA",
        "LEDGER_NATS_SUBJECT_PREFIX": f"{nats_names.subject_prefix}_sla",
        "LEDGER_CLOCK_INTERVAL_SECONDS": SERVE_CLOCK_INTERVAL, "LEDGER_LOG_LEVEL": "WARNING",
    }


@pytest.fixture(scope="module")
def sla_ledger(sla_env: dict[str, str]) -> Iterator[LedgerClient]:
    """`ledger serve` as a real process on the SLA database."""
    with served(sla_env, Path(sla_env["LEDGER_DATA_DIR"]).parent / "server.log") as client:
        yield client


@contextmanager
def running_clocks(env: dict[str, str], count: int = 1) -> Iterator[None]:
    """`count` standalone `ledger clock` processes, scanning every 0.2 s, stopped on exit."""
    clock_env = env | {"LEDGER_CLOCK_INTERVAL_SECONDS": CLOCK_INTERVAL}
    folder = Path(env["LEDGER_DATA_DIR"]).parent
    with (folder / "clock.log").open("ab") as log:
        processes = [
            subprocess.Popen([sys.executable, "-m", "api.cli", "clock"], env=clock_env,
                             stdout=subprocess.DEVNULL, stderr=log)
            for _ in range(count)
        ]
    try:
        yield
    finally:
        for process in processes:
            stop(process)


def eventually(read: Callable[[], T], holds: Callable[[T], bool], timeout: float = 30.0) -> T:
    """Read until the condition holds (the read models and the clock follow the log)."""
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if holds(value):
            return value
        assert time.monotonic() < deadline, f"still not so after {timeout:.0f} s: {value}"
        time.sleep(0.1)


def appeal_timers(client: LedgerClient, number: str) -> dict[str, dict[str, Any]]:
    """An appeal's timers by kind, as `Appeal.timers` shows them."""
    appeal = client.gql(APPEAL_TIMERS, {"number": number}).data["appeal"]
    return {t["kind"]: t for t in appeal["timers"]}


def sla_timers(client: LedgerClient, flt: dict[str, Any], first: int = 50,
               after: str | None = None) -> dict[str, Any]:
    """One page of `slaTimers` as a supervisor asks for it."""
    page: dict[str, Any] = client.gql(
        SLA_TIMERS, {"filter": flt, "first": first, "after": after}, Role.SUPERVISOR,
    ).data["slaTimers"]
    return page


def timeliness(client: LedgerClient, start: str, end: str, period: str = "WHOLE") -> list[
        dict[str, Any]]:
    """The `timeliness` report rows."""
    rows: list[dict[str, Any]] = client.gql(
        TIMELINESS, {"from": start, "to": end, "period": period}, Role.SUPERVISOR,
    ).data["timeliness"]
    return rows
