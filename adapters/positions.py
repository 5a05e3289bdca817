"""Where the read models this process runs stand: read-your-writes without polling.

A mutation answers once the read model has reached the position it wrote. Polling the
positions table every 5 ms held a worker thread and a pooled connection per waiting request
and queried ~200 times a second each; the projectors of this process now announce every
position they see (their own and, under the position lock, another runner's), and a waiting
request is woken by that. Read models that run elsewhere (`ledger project`) are still polled.
"""

from __future__ import annotations

import asyncio
import threading

_Waiter = tuple[int, asyncio.AbstractEventLoop, "asyncio.Future[None]"]


class Positions:
    """The positions announced by this process's projectors, and the requests waiting on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._at: dict[str, int] = {}
        self._waiters: dict[str, list[_Waiter]] = {}

    def follows(self, name: str) -> bool:
        """Whether a projector of this process runs the read model."""
        with self._lock:
            return name in self._at

    def reached(self, name: str, position: int) -> None:
        """The read model's projector saw it at `position`, committed, under its row lock: wake
        who waits for it. One projector a read model runs here, so a lower position means the
        read model was reset (a rebuild elsewhere): requests wait for it again."""
        with self._lock:
            self._at[name] = position
            waiting = self._waiters.get(name, [])
            due = [w for w in waiting if w[0] <= position]
            self._waiters[name] = [w for w in waiting if w[0] > position]
        for _, loop, future in due:
            loop.call_soon_threadsafe(_settle, future)

    async def wait(self, name: str, position: int, timeout: float) -> bool:
        """Wait until the read model is announced at `position` or past; False on timeout."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        waiter = (position, loop, future)
        with self._lock:
            if self._at.get(name, -1) >= position:
                return True
            self._waiters.setdefault(name, []).append(waiter)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            with self._lock:
                if waiter in self._waiters.get(name, []):
                    self._waiters[name].remove(waiter)
            return False
        return True


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
