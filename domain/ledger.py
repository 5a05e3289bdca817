"""The Ledger application: one method per command; each loads, decides, saves, returns a position.

Commands are executed in batches (`execute_batch`) so that a group committer can store the
decisions of many concurrent callers in one transaction; a batch of one is the plain path.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording

from domain import commands as c
from domain.account import Account
from domain.batch_load import load_fresh, many_streams
from domain.calendar import BusinessCalendar
from domain.deciders import DECIDERS, Decision
from domain.errors import ConflictError, LedgerError, NotFoundError
from domain.identity import account_stream_id
from domain.storable import check_storable
from domain.unidentified import open_stream
from domain.unidentified_commands import ContactCommand
from domain.values import INTERACTIVE_CHANNELS, Channel
from domain.working_hours import ONLINE_OFFICE, ServiceHours, is_open, next_opening

MAX_ATTEMPTS = 10
BACKOFF_SECONDS = 0.002


class AppealNumbers(Protocol):
    """Supplier-wide appeal numbers, allocated from a sequence outside any aggregate."""

    def allocate(self, account_id: UUID, year: int) -> str:
        """A new number, remembered with the account it belongs to."""

    def locate(self, appeal_number: str) -> UUID | None:
        """The stream of the account an appeal number belongs to."""


@dataclass(frozen=True)
class Outcome:
    """What a command did: the log position written (or at which a repeat is visible)."""

    position: int
    account_number: str
    appeal_number: str | None = None
    interaction_id: UUID | None = None
    duplicate: bool = False


@dataclass
class Request:
    """A command with who asks and when; the appeal number, once allocated, is kept on retry."""

    command: c.Command
    actor: str
    now: datetime
    appeal_number: str | None = None


class Ledger(Application[UUID]):
    """The event-sourced ledger of every interaction with every account."""

    name = "ledger"

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        numbers: AppealNumbers,
        calendar: BusinessCalendar | None = None,
        online_office: ServiceHours = ONLINE_OFFICE,
    ) -> None:
        super().__init__(env)
        self.numbers = numbers
        self.calendar = calendar
        self.online_office = online_office

    def taken_up_at(self, channel: Channel, received_at: datetime) -> datetime | None:
        """When an online-office appeal received out of hours is taken up (None: at once)."""
        if self.calendar is None or channel not in INTERACTIVE_CHANNELS:
            return None
        if is_open(self.online_office, received_at, self.calendar):
            return None
        return next_opening(self.online_office, received_at, self.calendar)

    def execute(self, command: c.Command, actor: str, now: datetime) -> Outcome:
        """Run one command; raise its LedgerError if refused."""
        result = self.execute_batch([Request(command, actor, now)])[0]
        if isinstance(result, LedgerError):
            raise result
        return result

    def execute_batch(self, requests: Sequence[Request]) -> list[Outcome | LedgerError]:
        """Decide every request on fresh aggregates and store all decisions in one commit."""
        for attempt in range(MAX_ATTEMPTS):
            accounts: dict[UUID, Account] = {}
            fresh = self.fresh_accounts(requests)
            decided = [self._decide(r, accounts, fresh) for r in requests]
            try:
                recordings = self.save(*accounts.values())
            except IntegrityError:
                if len(requests) > 1:
                    return [self.execute_batch([r])[0] for r in requests]
                _back_off(attempt)
                continue
            return self._outcomes(decided, recordings)
        return [ConflictError("the account kept changing; try again") for _ in requests]

    def account(self, number: str) -> Account | None:
        """The account as its history makes it now, or None if it was never contacted."""
        return self._load(account_stream_id(number))

    def fresh_accounts(self, requests: Sequence[Request]) -> dict[UUID, Account | None]:
        """The accounts a batch names by number, brought up to date with one read (or none)."""
        ids = {i for r in requests if (i := _stream_of(r.command)) is not None}
        recorder = many_streams(self.repository, self.recorder)
        if len(ids) < 2 or recorder is None:
            return {}
        return load_fresh(self.repository, recorder, self.mapper, ids)

    def _load(
        self, account_id: UUID, fresh: dict[UUID, Account | None] | None = None
    ) -> Account | None:
        if fresh is not None and account_id in fresh:
            return fresh.pop(account_id)
        try:
            account: Account = self.repository.get(account_id)
        except AggregateNotFoundError:
            return None
        return account

    def _decide(
        self, request: Request, accounts: dict[UUID, Account], fresh: dict[UUID, Account | None]
    ) -> Decision | LedgerError:
        try:
            account = self.target(request, accounts, fresh)
            decision = DECIDERS[type(request.command)](self, account, request)
        except LedgerError as error:
            return error
        accounts[account.id] = account
        return decision

    def target(
        self, request: Request, accounts: dict[UUID, Account], fresh: dict[UUID, Account | None]
    ) -> Account:
        """The account a request acts on: already in hand, freshly read, or new (every way to
        decide starts here, so a command that cannot be stored is refused here)."""
        command = request.command
        check_storable(command)
        if isinstance(command, c.AccountCommand):
            account_id = _stream_id(command.account_number)
            account = accounts.get(account_id) or self._load(account_id, fresh)
            return account or open_stream(command)
        if isinstance(command, ContactCommand):
            contact_id = account_stream_id(command.contact_ref)
            contact = accounts.get(contact_id) or self._load(contact_id, fresh)
            if contact is None:
                raise NotFoundError(f"unidentified contact {command.contact_ref} not found")
            return contact
        assert isinstance(command, c.AppealCommand)
        located = self.numbers.locate(command.appeal_number)
        found = None if located is None else accounts.get(located) or self._load(located)
        if found is None:
            raise NotFoundError(f"appeal {command.appeal_number} not found")
        return found

    def allocate_appeal_number(self, request: Request, account: Account, year: int) -> str:
        """The request's appeal number: allocated once, reused when the batch is retried."""
        if request.appeal_number is None:
            request.appeal_number = self.numbers.allocate(account.id, year)
        return request.appeal_number

    def _outcomes(
        self, decided: list[Decision | LedgerError], recordings: list[Recording[Any]]
    ) -> list[Outcome | LedgerError]:
        positions: dict[UUID, int] = {}
        for recording in recordings:
            origin = recording.domain_event.originator_id
            positions[origin] = max(positions.get(origin, 0), recording.notification.id)
        head = 0 if all(d.account_id in positions for d in decided if isinstance(d, Decision))\
            else self.recorder.max_notification_id() or 0
        return [
            d if isinstance(d, LedgerError) else d.outcome(positions.get(d.account_id, head))
            for d in decided
        ]


def _back_off(attempt: int) -> None:
    """Wait a random, growing while after losing a race, so the writers of one account spread
    out instead of colliding again in lockstep (each round only one of them can win)."""
    time.sleep(random.uniform(0, BACKOFF_SECONDS * 2 ** min(attempt, 6)))


def _stream_of(command: c.Command) -> UUID | None:
    """The stream an account command names (None for appeal commands and malformed numbers)."""
    if not isinstance(command, c.AccountCommand):
        return None
    try:
        return _stream_id(command.account_number)
    except LedgerError:
        return None


_stream_id = lru_cache(maxsize=65_536)(account_stream_id)
"""A name-based UUID costs microseconds; busy accounts are named again and again."""
