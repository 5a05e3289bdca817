"""The parts of `ledger serve` run as processes of their own (README, "Running the parts
separately"): each starts, says so, and stops cleanly on SIGTERM, saying that too."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from adapters.embedded import create_database
from tests.e2e.conftest import MASTER_KEY, STARTUP_SECONDS, STOP_SECONDS, kill_if_running

pytestmark = pytest.mark.e2e

PARTS = (("project", "timeline", "appeal_status"), ("chain",), ("clock",))


@pytest.fixture(scope="module")
def parts_env(pg_server_url: str, run_id: str, tmp_path_factory: pytest.TempPathFactory,
              ) -> Iterator[dict[str, str]]:
    """A migrated database of this module's own, and the environment the parts run with."""
    name = f"ledger_e2e_parts_{run_id}"
    env = os.environ | {
        "LEDGER_DATABASE_URL": create_database(pg_server_url, name),
        "LEDGER_SECRET_KEY": secrets.token_urlsafe(48), "LEDGER_MASTER_KEY": MASTER_KEY,
        "LEDGER_DATA_DIR": str(tmp_path_factory.mktemp("ledger-parts") / "data"),
    }
    subprocess.run([sys.executable, "-m", "api.cli", "migrate"], env=env, check=True,
                   capture_output=True)
    yield env
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


def lines(log: Path) -> list[dict[str, Any]]:
    """The structured lines logged so far."""
    return [json.loads(line) for line in log.read_text(errors="replace").splitlines()
            if line.startswith("{")]


def said(log: Path, message: str, part: str) -> bool:
    return any(line["message"] == message and line.get("part") == part for line in lines(log))


@pytest.mark.parametrize("command", PARTS, ids=[p[0] for p in PARTS])
def test_a_part_runs_until_sigterm_and_stops_cleanly(
    command: tuple[str, ...], parts_env: dict[str, str], tmp_path: Path
) -> None:
    log, part = tmp_path / "part.log", command[0]
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "api.cli", *command],
                                   env=parts_env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not said(log, "running", part) and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert said(log, "running", part), log.read_text(errors="replace")
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=STOP_SECONDS)
    finally:
        kill_if_running(process)

    assert code == 0
    assert said(log, "stopping", part)
    assert [(line["level"], line["message"]) for line in lines(log)
            if line["level"] not in ("info", "debug")] == []
