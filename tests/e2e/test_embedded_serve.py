"""`ledger serve` with nothing configured, as the README's first command runs it: a private
PostgreSQL and NATS under the data folder, an appeal stored and published, a clean stop that
takes both servers down, and the appeal still there after a restart."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest

from adapters.embedded import free_port
from api.auth import TokenKeys
from tests.e2e.conftest import (
    MASTER_KEY,
    STOP_SECONDS,
    LedgerClient,
    account_number,
    start_serve,
    wait_until_healthy,
)

pytestmark = pytest.mark.e2e

CONFIGURED = ("LEDGER_DATABASE_URL", "LEDGER_NATS_URL", "LEDGER_NATS_STREAM",
              "LEDGER_NATS_SUBJECT_PREFIX")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A data folder under /tmp (pgserver's user must traverse every parent), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="ledger-serve-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


class Served:
    """One `ledger serve` run on the data folder; its log kept beside it."""

    def __init__(self, folder: Path, run: int) -> None:
        self.folder, self.secret = folder, secrets.token_urlsafe(48)
        self.port, self.nats_port = free_port(), free_port()
        self.log = folder / f"server-{run}.log"
        env = {k: v for k, v in os.environ.items() if k not in CONFIGURED} | {
            "LEDGER_DATA_DIR": str(folder / "data"), "LEDGER_SECRET_KEY": self.secret,
            "LEDGER_MASTER_KEY": MASTER_KEY, "LEDGER_EMBEDDED_NATS_PORT": str(self.nats_port),
            "LEDGER_NOTIFY_ENABLED": "false", "LEDGER_CLOCK_INTERVAL_SECONDS": "3600",
        }
        self.process = start_serve(env | {"LEDGER_PORT": str(self.port)}, self.log)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30.0)
        wait_until_healthy(self.http, self.process, self.log)
        self.client = LedgerClient(base_url=str(self.http.base_url),
                                   keys=TokenKeys(current=self.secret), http=self.http)

    def interrupt(self) -> int:
        """Ctrl-C, as a newcomer stops it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=STOP_SECONDS * 3)
        finally:
            self.http.close()
            if self.process.poll() is None:
                self.process.kill()

    def embedded_pids(self) -> list[int]:
        """The private PostgreSQL's and NATS server's process ids."""
        postmaster = self.folder / "data" / "pg" / "postmaster.pid"
        pids = [int(postmaster.read_text().split("\n", 1)[0])]
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{") and "embedded nats started" in line:
                pids.append(int(json.loads(line)["pid"]))
        return pids


async def stored_messages(port: int) -> int:
    """How many events the private NATS holds in the ledger's stream."""
    client = await nats.connect(f"nats://127.0.0.1:{port}")
    try:
        info = await client.jetstream().stream_info("LEDGER")
        return int(info.state.messages)
    finally:
        await client.close()


def alive(pid: int) -> bool:
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except OSError:
        return False


def stopping_lines(log: Path) -> list[dict[str, Any]]:
    """The structured lines `ledger serve` logged from "stopping" on."""
    lines = [json.loads(line) for line in log.read_text(errors="replace").splitlines()
             if line.startswith("{")]
    starts = [i for i, line in enumerate(lines) if line.get("message") == "stopping"]
    return lines[starts[0]:] if starts else []


def test_serve_on_the_embedded_servers_stores_publishes_stops_and_restarts(
    data_dir: Path,
) -> None:
    account = account_number()
    first = Served(data_dir, 1)
    try:
        number = first.client.register(account)["number"]
        deadline = time.monotonic() + 15
        while asyncio.run(stored_messages(first.nats_port)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)  # Opened and AppealRegistered, published by the publisher
        published = asyncio.run(stored_messages(first.nats_port))
        pids = first.embedded_pids()
    finally:
        code = first.interrupt()

    assert published >= 2
    assert code == 0
    assert "Traceback" not in first.log.read_text(errors="replace")
    stopped = stopping_lines(first.log)
    assert stopped and [(line["level"], line["message"]) for line in stopped
                        if line["level"] != "info"] == []  # a clean stop warns of nothing
    assert len(pids) == 2 and not any(alive(pid) for pid in pids), pids

    second = Served(data_dir, 2)
    try:
        kept = second.client.appeal(number)
    finally:
        second.interrupt()
    assert kept is not None and kept["accountNumber"] == account


def test_serve_on_a_taken_port_says_so_before_starting_anything(data_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if k not in CONFIGURED} | {
            "LEDGER_DATA_DIR": str(data_dir / "data"), "LEDGER_MASTER_KEY": MASTER_KEY}
        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=STOP_SECONDS * 3, check=False)

    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"ledger serve: cannot listen on 127.0.0.1:{port}: Address already in use")
    assert not (data_dir / "data" / "pg").exists()  # no embedded PostgreSQL was started
