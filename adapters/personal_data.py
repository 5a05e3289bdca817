"""Recording accesses to personal data, and erasing it: the adapters behind the API and CLI."""

from __future__ import annotations

import asyncio
import getpass
import uuid
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import msgspec
from psycopg_pool import ConnectionPool

from adapters.group_commit import GroupCommitter
from adapters.pd_keys import PdKeyStore
from adapters.projector import wait_for
from domain.access_audit import RecordAccess, record_accesses
from domain.commands import ErasePersonalData
from domain.errors import ConflictError, ForbiddenError, NotFoundError
from domain.identity import account_stream_id
from domain.ledger import Ledger, Outcome
from domain.personal_data import personal_fields
from domain.purpose import declare, parse_purpose, purpose_text
from domain.values import ERASED
from projections.base import event_type
from projections.contact_links import linked_contacts


@dataclass(frozen=True)
class Reader:
    """Who is shown personal data, why, through what, in which request."""

    actor: str
    role: str
    purpose: str
    request_id: str
    api: str


def cli_reader(purpose: str) -> Reader:
    """The reader of a command-line run: the operating-system user, through `cli`, for a
    well-formed purpose (domain/purpose.py; ValidationError otherwise)."""
    return Reader(actor=f"cli:{getpass.getuser()}", role="cli",
                  purpose=purpose_text(parse_purpose(purpose, "--purpose")),
                  request_id=uuid.uuid4().hex, api="cli")


def check_covers(ledger: Ledger, purpose: str, account_number: str | None) -> None:
    """Refuse (FORBIDDEN) to read an account that a purpose confined to another one (e.g. the
    account of appeal N for `appeal:N`) does not cover; None: every account."""
    declared = declare(parse_purpose(purpose, "--purpose"), ledger.numbers.locate)
    if account_number is None and declared.streams is not None:
        raise ForbiddenError(f"purpose {declared.text} covers one account, not every account")
    if account_number is not None and not declared.covers(account_number):
        raise ForbiddenError(f"purpose {declared.text} does not cover account {account_number}")


def fields_shown(events: Iterable[Any]) -> set[str]:
    """`EventType.field` of each personal field with a readable value among the events."""
    return {
        f"{event_type(e)}.{name}" for e in events for name in personal_fields(type(e))
        if getattr(e, name, None) is not None and not _erased(getattr(e, name))
    }


def _erased(value: Any) -> bool:
    if isinstance(value, msgspec.Struct):  # a contact: erased when each of its texts is
        return all(getattr(value, f) in (None, ERASED) for f in value.__struct_fields__)
    return bool(value == ERASED)


class AccessRecorder:
    """Appends PersonalDataAccessed events to the accounts' audit streams, group-committed."""

    def __init__(self, ledger: Ledger, max_batch: int = 200) -> None:
        self._committer = GroupCommitter(
            ledger, max_batch, execute_batch=partial(record_accesses, ledger))

    def commands(
        self, reader: Reader, reads: Mapping[str, Set[str]], at: datetime | None = None
    ) -> list[RecordAccess]:
        """One access record per account, naming every field read of it."""
        at = at or datetime.now(UTC)
        return [
            RecordAccess(account_number=number, role=reader.role, purpose=reader.purpose,
                         fields=tuple(sorted(fields)), request_id=reader.request_id,
                         api=reader.api, at=at)
            for number, fields in sorted(reads.items()) if fields
        ]

    def record(self, reader: Reader, reads: Mapping[str, Set[str]]) -> list[int]:
        """Store the accesses and wait (for threads, e.g. the CLI); their positions."""
        futures = [self._committer.submit(c, reader.actor, c.at)
                   for c in self.commands(reader, reads)]
        return [f.result().position for f in futures]

    async def record_async(
        self, reader: Reader, reads: Mapping[str, Set[str]], timeout: float
    ) -> list[int]:
        """Store the accesses without blocking the loop; raises if not stored within timeout."""
        futures = [asyncio.wrap_future(self._committer.submit(c, reader.actor, c.at))
                   for c in self.commands(reader, reads)]
        outcomes = await asyncio.wait_for(asyncio.gather(*futures), timeout)
        return [o.position for o in outcomes]

    def close(self) -> None:
        """Store what is queued, then stop."""
        self._committer.close()


def erase(
    ledger: Ledger, committer: GroupCommitter, keys: PdKeyStore, command: ErasePersonalData,
    actor: str,
) -> Outcome:
    """Destroy the account's data key, then record PersonalDataErased with its ground.

    The key goes first: if recording fails, the data is already unreadable and a retry
    records the erasure; the other order could record an erasure of data still readable."""
    number = command.account_number
    if ledger.account(number) is None:
        raise NotFoundError(f"account {number} not found")
    keys.destroy(account_stream_id(number), command.ground)
    return committer.execute(command, actor, datetime.now(UTC))


@dataclass(frozen=True)
class Erasure:
    """An account's erasure and the unidentified contacts erased with it."""

    outcome: Outcome
    linked: list[str]
    last_position: int


def erase_with_linked(
    ledger: Ledger, committer: GroupCommitter, keys: PdKeyStore, pool: ConnectionPool,
    command: ErasePersonalData, actor: str, wait_seconds: float,
) -> Erasure:
    """Erase the account and every unidentified contact linked to it now, on the same ground.

    A linked contact is the same person (domain/unidentified.py): its calls show in the
    account's timeline, and erasing the account alone left their personal data readable.
    The links are read once the contact_links read model has reached the log's head; when it
    has not (its runner stopped), nothing is erased and the caller is told to try again."""
    if ledger.account(command.account_number) is None:
        raise NotFoundError(f"account {command.account_number} not found")
    head = ledger.recorder.max_notification_id() or 0
    if not wait_for(pool, "contact_links", head, wait_seconds):
        raise ConflictError(
            "the contacts linked to this account are not known yet (the contact_links read"
            " model is behind the log): nothing was erased; try again")
    with pool.connection() as conn:
        linked = linked_contacts(conn, command.account_number)
    outcome = erase(ledger, committer, keys, command, actor)
    last = outcome.position
    for ref in linked:
        contact = ErasePersonalData(account_number=ref, ground=command.ground)
        last = max(last, erase(ledger, committer, keys, contact, actor).position)
    return Erasure(outcome, linked, last)
