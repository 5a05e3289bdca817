"""One LISTEN connection per process and database, shared by every follower of the log.

Each follower (read models, publisher, clock, chain, broadcaster, notifier) used to hold its
own LISTEN connection: a dozen per process. They now share one thread that counts NOTIFYs; a
follower remembers the count when it reads and waits for it to change, so a NOTIFY arriving
between its read and its wait is never missed.
"""

from __future__ import annotations

import logging
import threading

import psycopg
from psycopg import sql

log = logging.getLogger("ledger.follower")

_shared: dict[tuple[str, str], LogNotifications] = {}
_shared_lock = threading.Lock()


class LogNotifications:
    """Counts the log's NOTIFYs for every follower of one database in this process."""

    def __init__(self, url: str, channel: str) -> None:
        self._url, self._channel = url, channel
        self._changed = threading.Condition()
        self._listening = threading.Event()
        self._stop = threading.Event()
        self.count = 0
        self.users = 0
        self._thread = threading.Thread(target=self._run, name="log-listen", daemon=True)
        self._thread.start()

    @staticmethod
    def acquire(url: str, channel: str) -> LogNotifications:
        """The shared listener of a database, listening before this returns (or after 5 s)."""
        with _shared_lock:
            listener = _shared.get((url, channel))
            if listener is None:
                listener = _shared[(url, channel)] = LogNotifications(url, channel)
            listener.users += 1
        listener._listening.wait(timeout=5)
        return listener

    def release(self) -> None:
        """One follower less; the last one closes the connection."""
        with _shared_lock:
            self.users -= 1
            if self.users > 0:
                return
            _shared.pop((self._url, self._channel), None)
        self._stop.set()
        # its connection closed before whoever releases it stops the server (`ledger serve`
        # on the embedded one): else the server's shutdown read as a lost connection
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=2)

    def wait_past(self, seen: int, timeout: float) -> None:
        """Block until a NOTIFY came after `seen` was read from `count`, or the timeout."""
        with self._changed:
            self._changed.wait_for(lambda: self.count != seen, timeout)

    def _bump(self) -> None:
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._listen()
            except psycopg.Error as error:
                if self._stop.is_set():
                    return
                log.warning("log listener lost its connection; reconnecting",
                            extra={"error": str(error)})
                self._stop.wait(1.0)

    def _listen(self) -> None:
        with psycopg.connect(self._url, autocommit=True) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self._listening.set()
            self._bump()  # (re)connected: something may have been appended meanwhile
            while not self._stop.is_set():
                for _ in conn.notifies(timeout=0.1):  # how soon `release` sees it closed
                    self._bump()
