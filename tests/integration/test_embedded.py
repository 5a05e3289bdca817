"""The embedded servers really run, keep their data across restarts, and the fixtures are fresh."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import psycopg
import pytest
from nats.js.api import StorageType

from adapters.embedded import EmbeddedNats, EmbeddedPostgres, reachable, url_with_database
from adapters.embedded_nats import free_port
from tests.conftest import NatsNames

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg_dir() -> Iterator[Path]:
    """A data folder under /tmp (pgserver's user must traverse every parent), removed after."""
    folder = Path(tempfile.mkdtemp(prefix="ledger-test-", dir="/tmp"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _postmaster_pid(pg: EmbeddedPostgres) -> int:
    """The running server's pid, from postmaster.pid."""
    return int((pg.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])


def _alive(pid: int) -> bool:
    """Whether a live (non-zombie) process has this pid."""
    try:
        return bool(Path(f"/proc/{pid}/cmdline").read_bytes())
    except OSError:
        return False


def test_embedded_postgres_keeps_data_across_stop_and_start(pg_dir: Path) -> None:
    """A table written before a stop is there after the next start."""
    with EmbeddedPostgres(pg_dir) as pg:
        assert pg.url.startswith("postgresql://postgres:@/postgres?host=")
        with psycopg.connect(pg.url) as conn:
            conn.execute("CREATE TABLE kept (id int PRIMARY KEY, note text)")
            conn.execute("INSERT INTO kept VALUES (1, 'survives')")
        pid = _postmaster_pid(pg)
    assert not _alive(pid), "the server must be stopped on exit"
    assert not (pg.pgdata / "postmaster.pid").exists()
    with pytest.raises(RuntimeError):
        _ = pg.url
    with pg, psycopg.connect(pg.url) as conn:  # the same object starts again
        assert conn.execute("SELECT note FROM kept WHERE id = 1").fetchone() == ("survives",)
        assert _postmaster_pid(pg) != pid
    with EmbeddedPostgres(pg_dir) as other, psycopg.connect(other.url) as conn:
        assert conn.execute("SELECT count(*) FROM kept").fetchone() == (1,)


def test_create_database_is_idempotent_and_usable(pg_dir: Path) -> None:
    """create_database makes a connectable database once, and a second call is harmless."""
    with EmbeddedPostgres(pg_dir) as pg:
        url = pg.create_database("ledger_extra")
        assert url == url_with_database(pg.url, "ledger_extra")
        assert pg.create_database("ledger_extra") == url
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == ("ledger_extra",)
        with psycopg.connect(pg.url) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = 'ledger_extra'"
            ).fetchone()
            assert row == (1,)


def test_server_left_by_a_killed_process_is_reused_then_stopped(pg_dir: Path) -> None:
    """A crashed holder (SIGKILL) leaves the server running: we reuse it and still stop it."""
    code = (
        "import sys, time; from pathlib import Path;"
        "from adapters.embedded import EmbeddedPostgres;"
        "pg = EmbeddedPostgres(Path(sys.argv[1])); pg.start(); print(pg.url, flush=True);"
        "time.sleep(120)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(pg_dir)], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        child_url = child.stdout.readline().strip()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert child_url.startswith("postgresql://")
    with EmbeddedPostgres(pg_dir) as pg:
        leftover = _postmaster_pid(pg)
        assert _alive(leftover)
        assert pg.url == child_url
        with psycopg.connect(pg.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    assert not _alive(leftover), "the dead holder must not keep the server running"


def test_stale_postmaster_pid_of_another_process_is_ignored(pg_dir: Path) -> None:
    """A postmaster.pid naming a pid now used by another process does not block the start."""
    with EmbeddedPostgres(pg_dir) as pg:
        lines = (pg.pgdata / "postmaster.pid").read_text().split("\n")
    lines[0] = str(os.getpid())  # this pytest process: alive, but not a postgres
    (pg.pgdata / "postmaster.pid").write_text("\n".join(lines))
    with EmbeddedPostgres(pg_dir) as again, psycopg.connect(again.url) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
        assert _postmaster_pid(again) != os.getpid()


async def test_embedded_nats_jetstream_dedup_and_restart(embedded_nats: EmbeddedNats) -> None:
    """JetStream drops a republished message id, and a file stream survives stop/start."""
    assert embedded_nats.url == f"nats://127.0.0.1:{embedded_nats.port}"
    nc = await nats.connect(embedded_nats.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="EMBEDDED", subjects=["embedded.>"], storage=StorageType.FILE)
        headers = {"Nats-Msg-Id": "event-1"}
        first = await js.publish("embedded.one", b"payload", headers=headers)
        assert (first.stream, first.seq) == ("EMBEDDED", 1)
        assert first.duplicate is None
        again = await js.publish("embedded.one", b"payload", headers=headers)
        assert again.duplicate is True
        assert again.seq == 1
    finally:
        await nc.close()

    embedded_nats.stop()
    assert not embedded_nats.running
    assert not reachable("127.0.0.1", embedded_nats.port)
    embedded_nats.start()
    assert embedded_nats.running

    nc = await nats.connect(embedded_nats.url)
    try:
        js = nc.jetstream()
        info = await js.stream_info("EMBEDDED")
        assert info.config.storage == StorageType.FILE
        assert info.state.messages == 1
        msg = await js.get_msg("EMBEDDED", 1)
        assert msg.data == b"payload"
        assert msg.headers is not None and msg.headers["Nats-Msg-Id"] == "event-1"
    finally:
        await nc.close()


def test_embedded_nats_refuses_a_busy_port(embedded_nats: EmbeddedNats, tmp_path: Path) -> None:
    """A second server on a taken port fails loudly instead of talking to the wrong server."""
    with pytest.raises(RuntimeError, match="already in use"):
        EmbeddedNats(tmp_path / "other", port=embedded_nats.port).start()


def test_a_server_whose_starter_still_runs_is_left_alone(tmp_path: Path) -> None:
    """Another command on the same data dir (`ledger notify` beside `ledger serve`) must not
    stop the server serve is using: it is refused, as any busy port."""
    with EmbeddedNats(tmp_path) as running:
        with pytest.raises(RuntimeError, match="already in use"):
            EmbeddedNats(tmp_path, port=running.port).start()

        assert running.running and reachable("127.0.0.1", running.port)


def test_a_server_left_by_a_killed_starter_is_taken_over(tmp_path: Path) -> None:
    """What a killed `ledger serve` left (where the server could not die with it) is stopped,
    so the restart can start."""
    port = free_port()
    code = ("import time; from pathlib import Path; from adapters import embedded_nats as e;"
            " e._dying_with = lambda parent: None;"  # as where no death signal exists
            f" e.EmbeddedNats(Path({str(tmp_path)!r}), port={port}).start();"
            " print('up', flush=True); time.sleep(60)")
    starter = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE)
    assert starter.stdout is not None and starter.stdout.readline() == b"up\n"
    starter.send_signal(signal.SIGKILL)
    starter.wait(10)
    assert reachable("127.0.0.1", port)  # left behind

    restarted = EmbeddedNats(tmp_path, port=port)
    try:
        restarted.start()
        assert restarted.running and reachable("127.0.0.1", port)
    finally:
        restarted.stop()
        leftover = int((tmp_path / "nats-server.pid").read_text() or 0)
        with contextlib.suppress(ProcessLookupError):  # never leave it running
            os.kill(leftover, signal.SIGKILL)


def test_the_server_dies_with_the_process_that_started_it(tmp_path: Path) -> None:
    """kill -9 skips atexit: the server still goes (Linux), and its port is free again."""
    port = free_port()
    code = ("import time; from pathlib import Path; from adapters.embedded import EmbeddedNats;"
            f" EmbeddedNats(Path({str(tmp_path)!r}), port={port}).start();"
            " print('up', flush=True); time.sleep(60)")
    starter = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE)
    assert starter.stdout is not None and starter.stdout.readline() == b"up\n"
    assert reachable("127.0.0.1", port)

    starter.send_signal(signal.SIGKILL)
    starter.wait(10)

    deadline = time.monotonic() + 10
    while reachable("127.0.0.1", port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not reachable("127.0.0.1", port)


def test_database_url_is_a_fresh_database_of_this_run(
    database_url: str, pg_server_url: str, run_id: str, request: pytest.FixtureRequest
) -> None:
    """The session database is new for this run: its own name, and empty until tests fill it."""
    with psycopg.connect(database_url) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
    assert name == (f"ledger_test_{run_id}",)
    assert re.fullmatch(r"ledger_test_[0-9a-f]{12}", name[0])
    assert database_url != pg_server_url
    items = request.session.items
    earlier = items[: items.index(request.node)]
    if not any("database_url" in getattr(item, "fixturenames", ()) for item in earlier):
        assert tables == []  # no earlier test could have written to it


async def test_nats_server_url_has_jetstream_and_run_names(
    nats_server_url: str, nats_names: NatsNames, run_id: str
) -> None:
    """The session NATS serves JetStream, and this run's stream and subjects are its own."""
    assert nats_names.stream == f"LEDGER_{run_id.upper()}"
    assert nats_names.subject_prefix == f"ledger_{run_id}"
    stream = f"{nats_names.stream}_SELFTEST"
    nc = await nats.connect(nats_server_url)
    try:
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{nats_names.subject_prefix}.selftest.>"])
        try:
            ack = await js.publish(f"{nats_names.subject_prefix}.selftest.one", b"x")
            assert (ack.stream, ack.seq) == (stream, 1)
        finally:
            await js.delete_stream(stream)
    finally:
        await nc.close()
