"""Fans the log out to live subscribers by account, so GraphQL subscriptions follow the log
itself: a change written by another process, or ingested from NATS, reaches them too."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict, defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from adapters.follower import LogFollower
from adapters.pg_retry import log_failed_round
from domain.unidentified import is_contact_ref
from projections.base import LoggedEvent

log = logging.getLogger("ledger.broadcast")

_Subscriber = tuple[asyncio.AbstractEventLoop, asyncio.Queue[LoggedEvent]]
_REMEMBERED_LINKS = 100_000


class LogBroadcaster:
    """Follows the log from its head in a thread; hands each event to its account's listeners,
    and an unidentified contact's events also to the account it is linked to (as the account's
    timeline shows them)."""

    def __init__(self, follower: LogFollower,
                 linked_account: Callable[[str], str | None] = lambda ref: None) -> None:
        self._follower = follower
        self._listeners: dict[str, set[_Subscriber]] = defaultdict(set)
        self._lock = threading.Lock()
        self._linked_account = linked_account
        self._links: OrderedDict[str, str | None] = OrderedDict()

    @asynccontextmanager
    async def listen(self, account_number: str) -> AsyncIterator[asyncio.Queue[LoggedEvent]]:
        """A queue that receives every new event of the account while the block runs."""
        subscriber: _Subscriber = (asyncio.get_running_loop(), asyncio.Queue(maxsize=10_000))
        with self._lock:
            self._listeners[account_number].add(subscriber)
        try:
            yield subscriber[1]
        finally:
            with self._lock:
                self._listeners[account_number].discard(subscriber)

    def run(self, stop: threading.Event) -> None:
        """Follow the log until stopped; starts at the head: subscribers see what comes next."""
        position = self._follower.head()
        while not stop.is_set():
            try:
                batch = self._follower.read(position)
                for logged in batch:
                    self._dispatch(logged)
                    position = logged.position
                if not batch:
                    self._follower.wait_for_new(timeout=1.0)
            except Exception:
                log_failed_round(log, "broadcast failed; retrying")
                stop.wait(1.0)

    def _dispatch(self, logged: LoggedEvent) -> None:
        numbers = [logged.account_number]
        if is_contact_ref(logged.account_number):
            linked = self._link_of(logged)
            numbers += [linked] if linked else []
        with self._lock:
            subscribers = [s for n in numbers for s in self._listeners.get(n, ())]
        for loop, queue in subscribers:
            loop.call_soon_threadsafe(_offer, queue, logged)

    def _link_of(self, logged: LoggedEvent) -> str | None:
        """The account a contact's stream is linked to: followed from its own LinkedToAccount
        events as they pass, read once from `contact_links` for links made before the start."""
        ref = logged.account_number
        if logged.type == "LinkedToAccount":
            self._links[ref] = logged.event.account_number
        elif ref not in self._links:
            self._links[ref] = self._linked_account(ref)
        self._links.move_to_end(ref)
        if len(self._links) > _REMEMBERED_LINKS:
            self._links.popitem(last=False)
        return self._links[ref]


def _offer(queue: asyncio.Queue[LoggedEvent], logged: LoggedEvent) -> None:
    """Queue an event for a subscriber; one that stopped reading loses the overflow, logged."""
    try:
        queue.put_nowait(logged)
    except asyncio.QueueFull:
        log.warning("subscriber too slow; event dropped", extra={"position": logged.position})
