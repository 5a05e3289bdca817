"""Fetching the data keys of queued commands' accounts ahead of the batch that seals with them.

A batch's events are sealed with their accounts' data keys (adapters/pd_mapper.py), cached for
a few seconds; a key missing from that cache costs the committer a round trip while every
caller of the batch waits. The committer hands the accounts of commands it has just queued to
this thread, which loads their keys in one query meanwhile; what it has not loaded by the time
the batch is sealed is fetched there as before.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

RECENT_SECONDS = 1.0
"""An account asked for this recently is not asked for again: its key is still cached (the
key cache keeps keys for seconds); the batch itself fetches any that expired meanwhile."""


class KeyPrefetcher:
    """Preloads keys for the given accounts in a thread of its own (a no-op without keys)."""

    def __init__(self, mapper: Any) -> None:
        keys = getattr(mapper, "keys", None)
        self._preload: Callable[[Iterable[UUID]], None] | None = getattr(keys, "preload", None)
        # Made, not only loaded, for commands that bring personal data (a first contact opens
        # an account with it): a new account's key made on the committer's thread costs a
        # commit of its own while every caller waits; here a burst of them shares one. (A
        # command refused afterwards leaves an unused key, never an event.)
        self._make: Callable[[Iterable[UUID]], None] | None = getattr(keys, "make_many", None)
        self._wanted: queue.SimpleQueue[tuple[set[UUID], set[UUID]] | None] = (
            queue.SimpleQueue())
        self._asked: dict[UUID, float] = {}
        self._thread = threading.Thread(target=self._run, name="group-commit-keys", daemon=True)
        if self._preload is not None:
            self._thread.start()

    def want(self, accounts: set[UUID], make: set[UUID] | None = None) -> None:
        """Load these accounts' keys soon, unless cached, making those in `make` that have
        none (one thread calls this)."""
        if self._preload is None or not accounts:
            return
        now = time.monotonic()
        wanted = {a for a in accounts
                  if now - self._asked.get(a, -RECENT_SECONDS) >= RECENT_SECONDS}
        if wanted:
            if len(self._asked) > 100_000:
                self._asked.clear()
            self._asked.update(dict.fromkeys(wanted, now))
            self._wanted.put((wanted, wanted & make if make and self._make else set()))

    def close(self) -> None:
        """Stop the thread."""
        if self._preload is not None:
            self._wanted.put(None)
            self._thread.join(timeout=10)

    def _run(self) -> None:
        assert self._preload is not None
        while (asked := self._wanted.get()) is not None:
            wanted, make = asked
            while True:  # one query for everything asked for meanwhile
                try:
                    more = self._wanted.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    return
                wanted, make = wanted | more[0], make | more[1]
            try:
                if make and self._make is not None:
                    self._make(make)
                self._preload(wanted - make)
            except Exception:  # the batch fetches what is missing itself, and reports errors
                continue
