"""When the group committer's next batch may leave.

Callers wait for their answer before they send their next command, so right after a commit the
callers it answered come back one by one. Sending at the first arrival splits them into small
batches that queue behind each other at the table lock; waiting a moment for the others lets
them share one commit (8 writers: one batch of 8 a commit instead of two of 4).
"""

from __future__ import annotations

import time

GATHER_SECONDS = 0.001
"""The longest a queued command waits for the other callers to come back."""


class Gathering:
    """Waits until every caller not in flight has a command queued, or for `seconds`."""

    def __init__(self, seconds: float = GATHER_SECONDS) -> None:
        self._seconds = seconds
        self._callers = 0
        self._since: float | None = None

    def arrived(self, queued: int, in_flight: int) -> None:
        """Commands were queued: count the callers seen at once."""
        self._callers = max(self._callers, queued + in_flight)
        if self._since is None and queued:
            self._since = time.monotonic()

    def ready(self, queued: int, in_flight: int, max_batch: int) -> bool:
        """Whether the queued commands may leave now.

        While a batch is in flight, a smaller one would only queue behind it at the table lock
        and keep the callers split: it waits to leave with the callers of the one in flight."""
        if queued >= max_batch:
            return True
        if in_flight:
            return queued > in_flight
        if queued >= self._callers:
            return True
        if self._since is None:
            self._since = time.monotonic()
        elif time.monotonic() - self._since >= self._seconds:
            self._callers = queued + in_flight  # fewer callers than before: expect fewer
            return True
        return False

    def left(self) -> float:
        """How long to wait for more commands before `ready` says yes anyway."""
        if self._since is None:
            return self._seconds
        return max(0.0, self._since + self._seconds - time.monotonic())

    def sent(self, still_queued: int) -> None:
        """A batch left; what stays queued starts waiting now."""
        self._since = time.monotonic() if still_queued else None
