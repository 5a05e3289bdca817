"""The accounts a group committer decides on, kept from one batch to the next.

Reading an account afresh before each batch costs a query, a decode of the events this very
process wrote and a deep copy: most of a batch's time. A committer that alone decides its
batches keeps the aggregates it decided instead, so the next batch decides on top of them even
while the previous one is still being committed. What another writer stored meanwhile shows up
as a version conflict when the batch is inserted (the account is then read afresh); a refusal
decided on a kept account is `kept`, for the committer to confirm on a fresh read, because a
stale state could refuse what the current one allows.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from uuid import UUID

from domain import commands as c
from domain.account import Account
from domain.deciders import DECIDERS, Decision
from domain.errors import LedgerError
from domain.identity import account_stream_id
from domain.ledger import Ledger, Request


@dataclass(frozen=True)
class Decided:
    """One request's decision or refusal; `kept`: its account was not read for this batch."""

    request: Request
    result: Decision | LedgerError
    kept: bool = False
    account_id: UUID | None = None
    """The account a refusal was decided on (a decision names its own)."""

    @property
    def account(self) -> UUID | None:
        """The account the decision read, if it got as far as one."""
        return self.result.account_id if isinstance(self.result, Decision) else self.account_id


class DirtyRefusalError(Exception):
    """A command was refused after it had changed its account: decide the batch afresh."""


class WorkingSet:
    """The latest decided state of recently used accounts, committed or still in flight."""

    def __init__(self, ledger: Ledger, capacity: int = 20_000) -> None:
        self._ledger = ledger
        self._capacity = capacity
        self._held: OrderedDict[UUID, Account] = OrderedDict()
        self._written: dict[UUID, int] = {}

    def decide(self, requests: Sequence[Request]) -> tuple[list[Decided], list[Any]]:
        """Each request's decision, and the new events of the batch in version order.

        On any error but a clean refusal, the accounts the batch touched are forgotten."""
        unread = [r for r in requests if stream_of(r.command) not in self._held]
        fresh = self._ledger.fresh_accounts(unread) if unread else {}
        touched: dict[UUID, Account] = {}
        read: set[UUID] = set()
        try:
            decided = [self._decide(r, fresh, touched, read) for r in requests]
        except BaseException:
            self.forget([*touched, *read])
            raise
        self._trim()
        return decided, [e for a in touched.values() for e in a.collect_events()]

    def forget(self, account_ids: Iterable[UUID]) -> None:
        """Read these accounts afresh next time (their batch failed, or may have)."""
        for account_id in account_ids:
            self._held.pop(account_id, None)
            self._written.pop(account_id, None)

    def stored(self, positions: dict[UUID, int]) -> None:
        """Remember where each account was last written, once its batch is committed."""
        self._written.update((a, p) for a, p in positions.items() if a in self._held)

    def position(self, account_id: UUID) -> int | None:
        """The last log position this committer wrote for a kept account: a position at which
        whatever its kept state holds is visible (None if it was read, not written)."""
        return self._written.get(account_id)

    def _decide(
        self, request: Request, fresh: dict[UUID, Account | None], touched: dict[UUID, Account],
        read: set[UUID],
    ) -> Decided:
        try:
            account = self._ledger.target(request, self._held, fresh)
        except LedgerError as error:
            return Decided(request, error)
        kept = self._held.get(account.id) is account and account.id not in read
        version = account.version
        try:
            decision = DECIDERS[type(request.command)](self._ledger, account, request)
        except LedgerError as error:
            if account.version == version:
                return Decided(request, error, kept, account.id)
            read.add(account.id)
            raise DirtyRefusalError(str(error)) from error
        except BaseException:
            read.add(account.id)
            raise
        if not kept and account.id not in read:
            read.add(account.id)
            self._held[account.id] = account
            self._written.pop(account.id, None)
        self._held.move_to_end(account.id)
        touched[account.id] = account
        return Decided(request, decision, kept)

    def _trim(self) -> None:
        while len(self._held) > self._capacity:
            self._written.pop(self._held.popitem(last=False)[0], None)


def stream_of(command: c.Command) -> UUID | None:
    """The stream an account command names, if it is well formed (appeal commands: None)."""
    if not isinstance(command, c.AccountCommand):
        return None
    return _stream_id(command.account_number)


@lru_cache(maxsize=65_536)
def _stream_id(number: str) -> UUID | None:
    """A name-based UUID costs microseconds; busy accounts are looked up again and again."""
    try:
        return account_stream_id(number)
    except LedgerError:
        return None
