"""When the group committer's next batch may leave, and whether it may overtake a commit.

Callers wait for their answer before they send their next command, so after a commit the
callers it answered come back one by one. Sending at the first arrival splits them into small
batches that queue behind each other at the table lock; waiting a moment lets them share one
commit. Commits are serial (the lock is held until the commit is flushed), so with N callers:
one batch a cycle takes L + N·c (commit latency, then every caller's turn-around on the
client); two halves in flight take max(2L, N·c). The committer measures both and pipelines
(sends the next half while one commits) only while N·c exceeds L.
"""

from __future__ import annotations

import time

GATHER_SECONDS = 0.001
"""The longest a queued command waits for the other callers to come back."""
_WEIGHT = 0.1
"""Of a new measurement in the running averages."""


class Gathering:
    """Waits until every caller not in flight has a command queued, or for `seconds`."""

    def __init__(self, seconds: float = GATHER_SECONDS) -> None:
        self._seconds = seconds
        self._callers = 0
        self._since: float | None = None
        self._committed_at = time.monotonic()
        self._commit = 0.0
        self._turnaround = 0.0
        self.pipelining = False
        """Whether a batch may leave while another is in flight."""

    def arrived(self, queued: int, in_flight: int) -> None:
        """Commands were queued: count the callers seen at once."""
        self._callers = max(self._callers, queued + in_flight)
        if self._since is None and queued:
            self._since = time.monotonic()

    def ready(self, queued: int, in_flight: int, max_batch: int) -> bool:
        """Whether the queued commands may leave now (not pipelining: a smaller batch than the
        one in flight waits to merge with its callers rather than queue behind its commit)."""
        if queued >= max_batch:
            return True
        if in_flight and not self.pipelining:
            return queued > in_flight
        if queued >= self._callers - in_flight:
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

    def committed(self, seconds: float) -> None:
        """A batch was committed after `seconds` at the store: its callers turn around now."""
        self._committed_at = time.monotonic()
        self._commit += _WEIGHT * (seconds - self._commit)

    def sent(self, size: int, still_queued: int) -> None:
        """A batch of `size` left; what stays queued starts waiting now."""
        now = time.monotonic()
        self._since = now if still_queued else None
        if size and self._callers:
            turnaround = (now - self._committed_at) * self._callers / size
            self._turnaround += _WEIGHT * (turnaround - self._turnaround)
            self.pipelining = self._turnaround > self._commit
