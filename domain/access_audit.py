"""Each account's audit stream: every read of its personal data, recorded before it is shown.

Accesses go to a stream of their own per account (not the account's stream), so recording a
read never conflicts with the account's interactions being written at the same moment.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, ClassVar, cast
from uuid import UUID, uuid5

import msgspec
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from domain.commands import AccountNumber, Command, Instant
from domain.errors import ConflictError, LedgerError
from domain.identity import account_stream_id
from domain.ledger import Outcome, Request

MAX_ATTEMPTS = 10
AUDIT_EVENT_TYPES = frozenset({"AuditOpened", "PersonalDataAccessed"})
"""Stored types of the audit streams: not interactions, so no timeline shows them."""

Label = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


def audit_stream_id(account_number: str) -> UUID:
    """The audit stream of an account: derived from the account's own stream id."""
    return uuid5(account_stream_id(account_number), "audit")


class RecordAccess(Command, frozen=True, kw_only=True):
    """Record that someone was shown an account's personal data, for a declared purpose."""

    account_number: AccountNumber
    role: Label
    purpose: Label
    fields: tuple[Label, ...]
    request_id: Label
    api: Label
    """Through which interface: graphql, report, cli."""
    at: Instant


class AuditOpened(Aggregate.Created):
    """The account's audit stream was opened by the first access to its personal data."""

    number: str
    """The account number, so the log names the account of every audit event."""
    personal_fields: ClassVar[tuple[str, ...]] = ()


class PersonalDataAccessed(Aggregate.Event):
    """Someone was shown personal-data fields of the account (who, role, purpose, which)."""

    actor: str
    role: str
    purpose: str
    fields: tuple[str, ...]
    request_id: str
    api: str
    at: datetime
    personal_fields: ClassVar[tuple[str, ...]] = ()


class AccessAudit(Aggregate):
    """The accesses to one account's personal data, in the order they were recorded."""

    class AuditOpened(AuditOpened):
        """Stored as AccessAudit.AuditOpened."""

    class PersonalDataAccessed(PersonalDataAccessed):
        """Stored as AccessAudit.PersonalDataAccessed."""

    @staticmethod
    def create_id(number: str) -> UUID:
        """The stream follows from the account number."""
        return audit_stream_id(number)

    @event(AuditOpened)
    def __init__(self, number: str) -> None:
        self.number = number
        self.accesses = 0

    def record(self, access: RecordAccess, actor: str) -> None:
        """Record one access."""
        self._accessed(
            actor=actor, role=access.role, purpose=access.purpose, fields=access.fields,
            request_id=access.request_id, api=access.api, at=access.at,
        )

    @event(PersonalDataAccessed)
    def _accessed(
        self, *, actor: str, role: str, purpose: str, fields: tuple[str, ...],
        request_id: str, api: str, at: datetime,
    ) -> None:
        self.accesses += 1


def record_accesses(app: Application[UUID], requests: Sequence[Request]) -> list[
    Outcome | LedgerError
]:
    """Record a batch of accesses in one transaction; each request gets its position."""
    for attempt in range(MAX_ATTEMPTS):
        audits = _audits(app, requests, trust_cache=attempt == 0)
        try:
            recordings = app.save(*audits.values())
        except IntegrityError:  # another process recorded an access of the same account
            time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
            continue
        _remember(app, audits.values())
        positions = {r.domain_event.originator_id: r.notification.id for r in recordings}
        return [_outcome(r, positions) for r in requests]
    return [ConflictError("the audit stream kept changing; try again") for _ in requests]


def _audits(
    app: Application[UUID], requests: Sequence[Request], trust_cache: bool
) -> dict[UUID, AccessAudit]:
    numbers = {audit_stream_id(_access(r).account_number): _access(r).account_number
               for r in requests}
    audits = {i: _load(app, i, trust_cache) or AccessAudit(number=n) for i, n in numbers.items()}
    for request in requests:
        access = _access(request)
        audits[audit_stream_id(access.account_number)].record(access, request.actor)
    return audits


def _remember(app: Application[UUID], audits: Iterable[AccessAudit]) -> None:
    """Keep what was saved as the cached state (the library caches only what it reads)."""
    if app.repository.cache is not None:
        for audit in audits:
            app.repository.cache.put(audit.id, audit)


def _load(app: Application[UUID], audit_id: UUID, trust_cache: bool) -> AccessAudit | None:
    """The audit stream's state: first as this process last saved it (no read: audit streams
    are written by the API alone, so it is rarely stale; a stale one fails the save and the
    retry reads the store)."""
    cache = app.repository.cache
    if trust_cache and cache is not None:
        try:
            cached = cache.get(audit_id)
        except KeyError:
            pass
        else:
            return cast(AccessAudit, copy.deepcopy(cached))
    try:
        audit: AccessAudit = app.repository.get(audit_id)
    except AggregateNotFoundError:
        return None
    return audit


def _access(request: Request) -> RecordAccess:
    assert isinstance(request.command, RecordAccess)
    return request.command


def _outcome(request: Request, positions: dict[UUID, int]) -> Outcome:
    number = _access(request).account_number
    return Outcome(position=positions[audit_stream_id(number)], account_number=number)
