"""Pipelined group commit: the next batch is decided and sent while earlier ones commit.

A decider thread decides queued commands on the working set (domain/working_set.py), which
holds the decisions of the batches in flight, so a command for an account of batch k sees batch
k's result. A batch that touches no account of a batch in flight is sent at once (store threads,
adapters/commit_store.py); one that does waits until those batches are committed, and is decided
again on fresh reads if one of them fails. Batch k's own commands after a version conflict, a
refusal decided on a kept account, and a batch with a command refused half-way are run the safe
way once nothing is in flight: `Ledger.execute_batch`, with fresh reads, retries and back-off.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters.commit_gather import Gathering
from adapters.commit_store import Answer, Batch, Item, Report, StoreThreads
from adapters.key_prefetch import KeyPrefetcher
from domain.commands import RecordInteraction, RegisterAppeal
from domain.errors import LedgerError
from domain.identity import account_stream_id
from domain.ledger import Ledger, Request
from domain.personal_data import personal_fields
from domain.working_set import DirtyRefusalError, WorkingSet, stream_of

log = logging.getLogger("ledger.group_commit")

_STOP = object()


MAX_OPEN_SECONDS = 0.003
"""The longest a decided command waits for its batch to fill while more keep coming."""


class CommitPipeline:
    """The decider: forms batches, decides, encodes, sends them, answers the callers."""

    def __init__(self, ledger: Ledger, max_batch: int, depth: int = 2) -> None:
        self._ledger, self._max_batch, self._depth = ledger, max_batch, depth
        self._inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._working = WorkingSet(ledger)
        self._pending: deque[Item] = deque()
        self._in_flight: list[Batch] = []
        self._waiting: Batch | None = None
        self._open = Batch([], [], [])
        self._safe: list[Item] = []
        self._stale: set[UUID] = set()
        self._gathering = Gathering()
        self._opened_at = 0.0
        self._store = StoreThreads(ledger, self._inbox, depth)
        self._keys = KeyPrefetcher(ledger.mapper)
        self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
        self._thread.start()

    def put(self, request: Request, answer: Answer) -> None:
        """Queue a command for the next batch; its outcome or error goes to `answer`."""
        self._inbox.put((request, answer))

    def close(self) -> None:
        """Finish what is queued, then stop the threads."""
        self._inbox.put(_STOP)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        stopping = False
        while True:
            busy = bool(self._in_flight) or self._waiting is not None
            if self._safe and not busy:
                self._reopen()
                self._run_safely()
            elif self._overdue():  # commands keep coming: do not hold the decided ones back
                size = self._close_open()
                self._gathering.sent(size, len(self._pending))
            elif self._pending and not self._safe and self._waiting is None \
                    and len(self._open.items) < self._max_batch:
                room = self._max_batch - len(self._open.items)
                self._decide([self._pending.popleft()
                              for _ in range(min(room, len(self._pending)))])
                stopping |= self._receive(block=False)
            elif self._open.items and self._waiting is None \
                    and len(self._in_flight) < self._depth and self._gathered(stopping):
                size = self._close_open()
                self._gathering.sent(size, len(self._pending))
            elif stopping and not (busy or self._pending or self._safe or self._open.items):
                break
            else:  # wait out an open gathering window; past it, only a message (a command,
                # a commit's report) changes anything: a zero timeout here spun the core
                left = self._gathering.left() if self._open.items else 0.0
                stopping |= self._receive(block=True, timeout=left or None)
        self._store.close()
        self._keys.close()

    def _overdue(self) -> bool:
        """The open batch has waited past MAX_OPEN_SECONDS and the store can take it: while
        commands arrive faster than they are decided (a burst of new accounts, each with a
        key to make), deciding first would hold it until it is full."""
        return bool(self._open.items) and self._waiting is None \
            and len(self._in_flight) < self._depth \
            and time.monotonic() - self._opened_at >= MAX_OPEN_SECONDS

    def _gathered(self, stopping: bool) -> bool:
        return stopping or self._gathering.ready(
            len(self._open.items) + len(self._pending), self._callers_in_flight(),
            self._max_batch)

    def _callers_in_flight(self) -> int:
        waiting = 0 if self._waiting is None else len(self._waiting.items)
        return waiting + sum(len(b.items) for b in self._in_flight)

    def _receive(self, block: bool, timeout: float | None = None) -> bool:
        """Take in new commands and store reports; True once asked to stop."""
        stopping = False
        try:
            message = self._inbox.get(block=block, timeout=timeout)
        except queue.Empty:
            return False
        accounts: set[UUID] = set()
        opening: set[UUID] = set()
        while True:
            if message is _STOP:
                stopping = True
            elif isinstance(message, Report):
                self._gathering.committed(message.seconds)
                self._finish(message.batch, message.result)
            else:
                self._pending.append(message)  # type: ignore[arg-type]
                command = message[0].command  # type: ignore[index]
                if (account := stream_of(command)) is not None:
                    accounts.add(account)
                    if isinstance(command, RecordInteraction | RegisterAppeal):
                        opening.add(account)  # a first contact brings personal data
            try:
                message = self._inbox.get_nowait()
            except queue.Empty:
                self._keys.want(accounts, opening)
                self._gathering.arrived(len(self._open.items) + len(self._pending),
                                        self._callers_in_flight())
                return stopping

    def _decide(self, items: list[Item]) -> None:
        """Decide and encode commands as they come, into the batch that leaves next: only the
        last caller's command is left to decide once every caller is back."""
        try:
            decided, events = self._working.decide([request for request, _ in items])
        except DirtyRefusalError:
            self._reopen()
            self._safe.extend(items)
            return
        except Exception as error:
            _fail(items, error)
            return
        try:
            _preload_keys(self._ledger.mapper, events)
            stored = [self._ledger.mapper.to_stored_event(e) for e in events]
        except Exception as error:
            self._working.forget({e.originator_id for e in events})
            _fail(items, error)
            return
        if not self._open.items:
            self._opened_at = time.monotonic()
        self._open.items.extend(items)
        self._open.decided.extend(decided)
        self._open.stored.extend(stored)

    def _close_open(self) -> int:
        batch, self._open = self._open, Batch([], [], [])
        batch.depends_on = {b for b in self._in_flight if b.accounts & batch.accounts}
        if batch.depends_on:
            self._waiting = batch
        else:
            self._send(batch)
        return len(batch.items)

    def _reopen(self) -> None:
        """Put the commands of the batch being formed back in the queue, to decide afresh."""
        batch, self._open = self._open, Batch([], [], [])
        self._working.forget(batch.accounts)
        self._pending.extendleft(reversed(batch.items))

    def _send(self, batch: Batch) -> None:
        if batch.stored:
            self._in_flight.append(batch)
            self._store.put(batch)
        else:
            self._answer(batch, [])

    def _finish(self, batch: Batch, result: Sequence[int] | Exception) -> None:
        self._in_flight.remove(batch)
        if isinstance(result, Exception):
            self._failed(batch, result)
        else:
            self._answer(batch, result)
        waiting = self._waiting
        if waiting is None or batch not in waiting.depends_on:
            return
        waiting.depends_on.discard(batch)
        if isinstance(result, Exception):  # it stood on what was not stored: decide again
            self._working.forget(waiting.accounts)
            self._pending.extendleft(reversed(waiting.items))
            self._waiting = None
        elif not waiting.depends_on:
            self._waiting = None
            self._send(waiting)

    def _failed(self, batch: Batch, error: Exception) -> None:
        self._working.forget(batch.accounts)
        if self._open.accounts & batch.accounts:  # decided on top of it: decide again
            self._reopen()
        if isinstance(error, IntegrityError):  # another writer stored a version first
            self._safe.extend(batch.items)
        else:
            _fail(batch.items, error)

    def _answer(self, batch: Batch, positions: Sequence[int]) -> None:
        written = {stored.originator_id: notification_id
                   for stored, notification_id in zip(batch.stored, positions, strict=True)}
        self._working.stored(written)  # type: ignore[arg-type]
        head = 0
        answered = batch.answered or [False] * len(batch.items)
        for item, decided, done in zip(batch.items, batch.decided, answered, strict=True):
            result = decided.result
            if done:
                continue
            if isinstance(result, LedgerError):
                if decided.kept and decided.account_id is not None:
                    self._safe.append(item)  # confirm on a fresh read: a stale state refused?
                    self._stale.add(decided.account_id)
                else:
                    item[1].set_exception(result)
                continue
            position = written.get(result.account_id) or self._working.position(
                result.account_id)  # a repeat: where what it repeats is visible
            if position is None:
                head = head or self._ledger.recorder.max_notification_id() or 0
            item[1].set_result(result.outcome(position or head))

    def _run_safely(self) -> None:
        items, self._safe = self._safe, []
        self._working.forget(self._stale)
        self._stale.clear()
        try:
            results = self._ledger.execute_batch([request for request, _ in items])
        except Exception as error:
            _fail(items, error)
            return
        for (_, future), result in zip(items, results, strict=True):
            if isinstance(result, LedgerError):
                future.set_exception(result)
            else:
                self._working.forget([account_stream_id(result.account_number)])
                future.set_result(result)


def _preload_keys(mapper: Any, events: list[Any]) -> None:
    """Fetch the data keys the batch seals with in one query, not one or two per account, and
    make the missing ones (new accounts) in one statement: one commit each, made one by one,
    held up every caller behind a burst of new accounts for ~100 ms."""
    keys = getattr(mapper, "keys", None)
    load = getattr(keys, "make_many", None) or getattr(keys, "preload", None)
    if load is not None:  # only where a personal field has a value, as sealing makes keys
        load({e.originator_id for e in events
              if any(getattr(e, n, None) is not None for n in personal_fields(type(e)))})


def _fail(items: list[Item], error: BaseException) -> None:
    log.error("batch failed: %s", error, extra={"size": len(items)})
    for _, future in items:
        future.set_exception(error)
