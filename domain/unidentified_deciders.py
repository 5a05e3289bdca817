"""Deciders of the unidentified-contact commands (see domain/deciders.py for the table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from domain import commands as c
from domain import notification_values as nv
from domain.account import Account
from domain.errors import ValidationError
from domain.unidentified_commands import LinkContact, RecordUnidentifiedInteraction

if TYPE_CHECKING:
    from domain.deciders import Decision
    from domain.ledger import Ledger, Request


def record_unidentified_interaction(
    ledger: Ledger, account: Account, request: Request
) -> Decision:
    """Keep the contact (sealed, once) in its own stream, then record the interaction there."""
    cmd = request.command
    assert isinstance(cmd, RecordUnidentifiedInteraction)
    if cmd.account_number != cmd.contact.ref():
        raise ValidationError("accountNumber must be the contact's reference", "accountNumber")
    kind, value = cmd.contact.key()
    account.record_contact_point(
        nv.ContactPoint(kind=kind, value=value, source=nv.ContactSource.CLIENT,
                        at=cmd.occurred_at),
        by=request.actor,
    )
    from domain.deciders import record_interaction  # deciders imports this module

    return record_interaction(ledger, account, request)


def link_contact(ledger: Ledger, account: Account, request: Request) -> Decision:
    """Link the contact's stream to the client's account; the same link again is a repeat."""
    cmd = request.command
    assert isinstance(cmd, LinkContact)
    from domain.deciders import Decision

    linked = account.link_to_account(cmd.account_number, cmd.at or request.now, request.actor)
    return Decision(account.id, account.number, duplicate=not linked)


UNIDENTIFIED_DECIDERS: dict[type[c.Command], Callable[[Ledger, Account, Request], Decision]] = {
    RecordUnidentifiedInteraction: record_unidentified_interaction,
    LinkContact: link_contact,
}
