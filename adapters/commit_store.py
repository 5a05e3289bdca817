"""The store side of the pipelined group commit: decided batches, inserted on several connections.

Each batch is inserted by `<table>_insert_locked` (adapters/event_store.py) in its own
transaction, under the table lock, so batches commit one after the other and followers see no
gap; with several connections the next batch already waits at the lock while the previous one
commits, instead of waiting for the decider to hear of the commit and send it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.errors import LedgerError
from domain.ledger import Ledger, Outcome, Request
from domain.working_set import Decided


class Answer(Protocol):
    """Where a caller waits for its outcome: a Future, or the lighter `group_commit.Waiter`."""

    def set_result(self, result: Outcome) -> None:
        """The command was stored (or repeats what was)."""

    def set_exception(self, exception: BaseException | None) -> None:
        """The command was refused, or could not be stored."""


Item = tuple[Request, Answer]


@dataclass(eq=False)
class Batch:
    """Decided and encoded commands, and the batches in flight whose results they stand on."""

    items: list[Item]
    decided: list[Decided]
    stored: list[StoredEvent]
    depends_on: set[Batch] = field(default_factory=set)
    answered: list[bool] = field(default_factory=list)
    """Which callers the store thread answered itself, as soon as the batch was committed."""

    @property
    def accounts(self) -> set[UUID]:
        """Every account a decision of the batch read or wrote."""
        return {a for d in self.decided if (a := d.account) is not None}


@dataclass(frozen=True)
class Report:
    """What became of a batch: its log positions, in the order of its events, or its error."""

    batch: Batch
    result: Sequence[int] | Exception
    seconds: float = 0.0
    """How long the insert took."""


class StoreThreads:
    """`count` threads, each inserting one batch at a time on a connection of its own."""

    def __init__(self, ledger: Ledger, reports: queue.SimpleQueue[object], count: int) -> None:
        self._recorder = ledger.recorder
        self._reports = reports
        self._batches: queue.SimpleQueue[Batch | None] = queue.SimpleQueue()
        self._threads = [threading.Thread(target=self._run, name=f"group-commit-store-{i}",
                                          daemon=True) for i in range(count)]
        for thread in self._threads:
            thread.start()

    def put(self, batch: Batch) -> None:
        """Insert the batch on the next free connection; its Report follows."""
        self._batches.put(batch)

    def close(self) -> None:
        """Stop once every batch put is inserted."""
        for _ in self._threads:
            self._batches.put(None)
        for thread in self._threads:
            thread.join(timeout=30)

    def _run(self) -> None:
        while (batch := self._batches.get()) is not None:
            started = time.monotonic()
            try:
                positions = self._recorder.insert_events(batch.stored) or []
            except Exception as error:
                self._reports.put(Report(batch, error, time.monotonic() - started))
                continue
            seconds = time.monotonic() - started
            answer_written(batch, positions)
            self._reports.put(Report(batch, positions, seconds))


def answer_written(batch: Batch, positions: Sequence[int]) -> None:
    """Answer at once each caller whose account the batch wrote, and each plain refusal: one
    thread hand-over less before they send their next command. The decider answers the rest."""
    written = dict(zip((s.originator_id for s in batch.stored), positions, strict=True))
    batch.answered = [False] * len(batch.items)
    for index, ((_, future), decided) in enumerate(zip(batch.items, batch.decided, strict=True)):
        result = decided.result
        if isinstance(result, LedgerError):
            if not decided.kept:
                future.set_exception(result)
                batch.answered[index] = True
        elif (position := written.get(result.account_id)) is not None:
            future.set_result(result.outcome(position))
            batch.answered[index] = True
