"""Commands for people not yet known as a client (domain/unidentified.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from domain.commands import Command, Instant, RecordInteraction
from domain.unidentified import CONTACT_REF_PATTERN, UnidentifiedContact

ContactRef = Annotated[str, msgspec.Meta(pattern=f"^{CONTACT_REF_PATTERN}$")]
ClientAccountNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6,20}$")]
"""A client's account: digits only (an unidentified contact cannot be linked to another)."""


class RecordUnidentifiedInteraction(RecordInteraction, frozen=True, kw_only=True):
    """A contact from someone with no account yet: recorded in the stream of their contact
    (`account_number` is `contact.ref()`; build it with `unidentified_interaction`)."""

    contact: UnidentifiedContact


def unidentified_interaction(contact: UnidentifiedContact, **fields: object) -> dict[str, object]:
    """The command's fields with the stream number derived from the contact (camelCase, as
    every boundary converts them)."""
    return {**fields, "contact": contact, "accountNumber": contact.ref()}


class ContactCommand(Command, frozen=True, kw_only=True):
    """A command addressed to an unidentified contact's stream by its reference."""

    contact_ref: ContactRef
    at: Instant | None = None


class LinkContact(ContactCommand, frozen=True, kw_only=True):
    """The unidentified person turned out to be this account's client (a later link to another
    account corrects a wrong one)."""

    account_number: ClientAccountNumber
