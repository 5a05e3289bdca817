"""A private PostgreSQL (pgserver) under the data folder, so `ledger serve` needs no setup."""

from __future__ import annotations

import atexit
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

logger = logging.getLogger(__name__)


def _runtime_dir() -> Path:
    """Our own 0700 folder for pgserver's lock, instead of a shared /tmp/runtime-<uid>."""
    path = Path(tempfile.gettempdir()) / f"ledger-pgserver-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = path.lstat()
    if path.is_symlink() or info.st_uid != os.getuid():
        raise RuntimeError(f"{path} is not a folder owned by this user")
    return path


def _pgserver() -> ModuleType:
    """Import pgserver with XDG_RUNTIME_DIR pointing at our folder (read at import time)."""
    if "pgserver" in sys.modules:
        return sys.modules["pgserver"]
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(_runtime_dir())
    try:
        import pgserver
    finally:
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
    return pgserver


def url_with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database (keeps host, port, query)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(server_url: str, name: str) -> str:
    """Create database `name` if missing (autocommit: CREATE DATABASE refuses a transaction)."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if found is None:
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                logger.info("database created", extra={"database": name})
            except errors.DuplicateDatabase:
                pass
    return url_with_database(server_url, name)


def _pid_alive(pid: int) -> bool:
    """Whether a process exists (signal 0 checks without touching it)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_our_postmaster(pid: int, pgdata: Path) -> bool:
    """Whether `pid` is a postgres serving `pgdata` (not a stranger that reused the pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return bool(cmdline) and cmdline[0].endswith(b"postgres") and str(pgdata).encode() in cmdline


class EmbeddedPostgres:
    """pgserver under `data_dir/pg`, started on enter and stopped by us on exit."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.pgdata = self.data_dir / "pg"
        self._server: Any = None

    @property
    def url(self) -> str:
        """URL of the `postgres` database over the unix socket."""
        if self._server is None:
            raise RuntimeError("embedded postgres is not running")
        return str(self._server.get_uri())

    def create_database(self, name: str) -> str:
        """Create database `name` on this server if missing, and return its URL."""
        return create_database(self.url, name)

    def _postmaster_pid(self) -> int | None:
        """First line of postmaster.pid, if the file exists."""
        try:
            return int((self.pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def _clear_stale_pidfile(self) -> None:
        """Drop a postmaster.pid whose pid is now some other process (pgserver would trust it)."""
        pid = self._postmaster_pid()
        if pid is not None and not _is_our_postmaster(pid, self.pgdata.resolve()):
            logger.warning("removing stale postmaster.pid", extra={"pid": pid})
            (self.pgdata / "postmaster.pid").unlink(missing_ok=True)

    def start(self) -> None:
        """Start (or reuse a leftover server on the same folder); data persists across runs."""
        if self._server is not None:
            return
        pgserver = _pgserver()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with pgserver.PostgresServer._lock:  # the lock other processes on this folder take
            self._clear_stale_pidfile()
        try:
            server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        except (AssertionError, subprocess.SubprocessError) as exc:
            # A leftover server that is not ready (or a failed start): stop it and try once more.
            logger.warning("restarting embedded postgres", extra={"error": repr(exc)})
            self._forget(pgserver.PostgresServer._instances.pop(self.pgdata.resolve(), None))
            self._shutdown_postmaster()
            server = pgserver.get_server(self.pgdata, cleanup_mode=None)
        self._forget(server)
        self._server = server
        atexit.register(self.stop)
        psycopg.connect(self.url, connect_timeout=10).close()
        logger.info(
            "embedded postgres started", extra={"pgdata": str(self.pgdata), "url": self.url}
        )

    @staticmethod
    def _forget(server: Any) -> None:
        """Drop pgserver's atexit hook: with cleanup_mode=None we stop the server ourselves."""
        if server is not None:
            atexit.unregister(server._cleanup)

    def stop(self) -> None:
        """Stop the server unless another living process still holds it."""
        server, self._server = self._server, None
        if server is None:
            return
        atexit.unregister(self.stop)
        with type(server)._lock:
            type(server)._instances.pop(server.pgdata, None)
            holders = server.global_process_id_list
            living = [p for p in holders.get() if p != os.getpid() and _pid_alive(p)]
            holders.put(living)
        if living:
            logger.info("embedded postgres left running", extra={"holders": living})
            return
        self._shutdown_postmaster()
        logger.info("embedded postgres stopped", extra={"pgdata": str(self.pgdata)})

    def _shutdown_postmaster(self, timeout: float = 30.0) -> None:
        """Fast shutdown via pg_ctl (as user pgserver when root), else SIGINT to the postmaster."""
        pid = self._postmaster_pid()
        if pid is None or not _is_our_postmaster(pid, self.pgdata.resolve()):
            return
        pg_ctl = Path(_pgserver()._commands.POSTGRES_BIN_PATH) / "pg_ctl"
        cmd = [str(pg_ctl), "-D", str(self.pgdata), "-w", "-m", "fast", "stop"]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "pgserver", "--", *cmd]
        try:
            subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
        except (OSError, subprocess.SubprocessError) as exc:
            logger.warning("pg_ctl stop failed, sending SIGINT", extra={"error": repr(exc)})
            os.kill(pid, signal.SIGINT)
        deadline = time.monotonic() + timeout
        while _is_our_postmaster(pid, self.pgdata.resolve()) and time.monotonic() < deadline:
            time.sleep(0.05)

    def __enter__(self) -> EmbeddedPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
