"""Contacts from people not yet known as an account's client (ARCHITECTURE.md: "interactions
from unidentified people go to a stream keyed by their contact, linkable to an account later").

Such a stream is an `Account` of kind `unidentified` whose number is a reference derived from
the normalised phone or e-mail, so the same caller always lands in the same stream and every
account query, audit, erasure and replay works on it unchanged. The contact itself is stored
only as a sealed `ContactPointRecorded`; the reference is a one-way digest of it.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from domain.errors import NotFoundError, ValidationError
from domain.notification_values import ContactKind
from domain.values import AccountKind

if TYPE_CHECKING:
    from domain.account import Account

CONTACT_REF_PATTERN = r"U-[0-9a-f]{16}"
"""An unidentified contact's stream number: `U-` and 16 hex digits of the contact's digest."""

_PHONE_DIGITS = re.compile(r"^\+?[0-9]{10,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Phone = Annotated[str, msgspec.Meta(min_length=5, max_length=40)]
Email = Annotated[str, msgspec.Meta(min_length=3, max_length=254)]


class UnidentifiedContact(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """How an unidentified person reached us: exactly one of a phone number or an e-mail."""

    phone: Phone | None = None
    email: Email | None = None

    def key(self) -> tuple[ContactKind, str]:
        """The contact's kind and normalised value, or a validation error naming the field."""
        if (self.phone is None) == (self.email is None):
            raise ValidationError("give exactly one of contact.phone or contact.email",
                                  field="contact")
        if self.phone is not None:
            return ContactKind.PHONE, normalise_phone(self.phone)
        assert self.email is not None
        return ContactKind.EMAIL, normalise_email(self.email)

    def ref(self) -> str:
        """The stream number this contact's interactions are recorded under."""
        return contact_ref(*self.key())


def normalise_phone(phone: str) -> str:
    """+7XXXXXXXXXX for Russian numbers written 8…, 7… or without the country code."""
    digits = re.sub(r"[\s()\-.]", "", phone)
    if not _PHONE_DIGITS.match(digits):
        raise ValidationError(  # the value is personal data: not echoed into logs and errors
            "not a phone number: 10 to 15 digits, with + and spaces, brackets, dots or dashes",
            field="contact.phone")
    bare = digits.lstrip("+")
    if len(bare) == 10:
        bare = "7" + bare
    elif len(bare) == 11 and bare.startswith("8"):
        bare = "7" + bare[1:]
    return "+" + bare


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased, so `Ivanov@Mail.ru` and `ivanov@mail.ru` are one person."""
    value = email.strip().lower()
    if not _EMAIL.match(value):
        raise ValidationError("not an e-mail address: name@domain, nothing else",
                              field="contact.email")
    return value


def contact_ref(kind: ContactKind, value: str) -> str:
    """`U-` and the first 16 hex digits of SHA-256 over the normalised contact."""
    return "U-" + hashlib.sha256(f"{kind.value}:{value}".encode()).hexdigest()[:16]


def is_contact_ref(number: str) -> bool:
    """Whether an account number names an unidentified contact's stream."""
    return number.startswith("U-")


def open_stream(command: Any) -> Account:
    """The stream a command's first contact opens. A six-digit number is a legal entity's
    contract uid (УИД), longer ones personal accounts; an unidentified contact's stream is
    opened only by its own first contact, which brings the contact with it."""
    from domain.account import Account
    from domain.unidentified_commands import RecordUnidentifiedInteraction

    number: str = command.account_number
    if is_contact_ref(number):
        if not isinstance(command, RecordUnidentifiedInteraction):
            raise NotFoundError(f"unidentified contact {number} not found")
        return Account(number=number, kind=AccountKind.UNIDENTIFIED)
    if command.account_kind is AccountKind.UNIDENTIFIED:
        raise ValidationError("UNIDENTIFIED is the kind of a contact's stream, not of an"
                              " account number", field="accountKind")
    default = AccountKind.LEGAL_ENTITY if len(number) == 6 else AccountKind.INDIVIDUAL
    return Account(number=number, kind=command.account_kind or default)
