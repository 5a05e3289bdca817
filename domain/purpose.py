"""Why personal data is read: the purposes a reader may declare, as data (152-ФЗ ст. 5 ч. 2).

A purpose is `<kind>:<reference>`, e.g. `appeal:2026-000123` (the kind in any case).
Purposes tied to an appeal or an account let the reader see the personal data of that one
account only; the others (a subject's request, an audit case) any account. The audit records
the purpose as parsed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, ClassVar
from uuid import UUID

import msgspec

from domain.commands import AccountNumber, AppealNumber
from domain.errors import ValidationError
from domain.identity import account_stream_id

Reference = Annotated[str, msgspec.Meta(pattern=r"^\w[\w./#№-]{0,99}$")]
"""A case or request reference: letters, digits and . / # № - (no spaces), up to 100."""


class _Purpose(msgspec.Struct, frozen=True, tag_field="kind"):
    shape: ClassVar[str]
    confined: ClassVar[bool] = False
    """Whether only the account the reference names may be read."""
    ref: str


class AppealPurpose(_Purpose, frozen=True, tag="appeal"):
    """Handling an appeal: the data of the account the appeal belongs to."""

    shape = "appeal:<appeal number, e.g. 2026-000123>"
    confined = True
    ref: AppealNumber


class ComplaintReviewPurpose(_Purpose, frozen=True, tag="complaint-review"):
    """Reviewing a complaint about how an appeal was handled: that appeal's account."""

    shape = "complaint-review:<appeal number>"
    confined = True
    ref: AppealNumber


class AccountPurpose(_Purpose, frozen=True, tag="account"):
    """Contract work on an account (billing, contract, meters): that account."""

    shape = "account:<account number>"
    confined = True
    ref: AccountNumber


class SubjectRequestPurpose(_Purpose, frozen=True, tag="subject-request"):
    """Answering a data subject's request (152-ФЗ ст. 14, 20, 21): any account."""

    shape = "subject-request:<request reference>"
    ref: Reference


class AuditPurpose(_Purpose, frozen=True, tag="audit"):
    """An internal audit or an inspection: any account."""

    shape = "audit:<case reference>"
    ref: Reference


Purpose = (AppealPurpose | ComplaintReviewPurpose | AccountPurpose | SubjectRequestPurpose
           | AuditPurpose)
PURPOSES: tuple[type[_Purpose], ...] = (AppealPurpose, ComplaintReviewPurpose, AccountPurpose,
                                        SubjectRequestPurpose, AuditPurpose)
_BY_KIND = {str(p.__struct_config__.tag): p for p in PURPOSES}


def parse_purpose(text: str, field: str = "X-Purpose") -> Purpose:
    """The purpose a text declares; a ValidationError naming `field` says what is wrong."""
    kind, _, ref = text.strip().partition(":")
    kind = kind.lower()
    if kind not in _BY_KIND:
        raise ValidationError(
            f"{field}: unknown purpose {text.strip()[:40]!r}; declare one of "
            f"{', '.join(p.shape for p in PURPOSES)}", field=field)
    try:
        purpose: Purpose = msgspec.convert({"kind": kind, "ref": ref}, Purpose)
    except msgspec.ValidationError:
        raise ValidationError(f"{field}: {kind} needs the form {_BY_KIND[kind].shape},"
                              f" not {ref[:40]!r}", field=field) from None
    return purpose


def purpose_text(purpose: Purpose) -> str:
    """The purpose as recorded: `<kind>:<reference>`."""
    return f"{type(purpose).__struct_config__.tag}:{purpose.ref}"


@dataclass(frozen=True)
class DeclaredPurpose:
    """A reader's purpose, with the account streams it covers (None: any account)."""

    purpose: Purpose
    streams: frozenset[UUID] | None

    @property
    def text(self) -> str:
        """As recorded in the audit."""
        return purpose_text(self.purpose)

    def covers(self, account_number: str) -> bool:
        """Whether the purpose lets the reader see this account's personal data."""
        return self.streams is None or account_stream_id(account_number) in self.streams


def declare(purpose: Purpose, locate_appeal: Callable[[str], UUID | None]) -> DeclaredPurpose:
    """The purpose with the account it is confined to: an appeal's is looked up (an unknown
    appeal covers no account)."""
    if isinstance(purpose, AccountPurpose):
        return DeclaredPurpose(purpose, frozenset({account_stream_id(purpose.ref)}))
    if isinstance(purpose, AppealPurpose | ComplaintReviewPurpose):
        stream = locate_appeal(purpose.ref)
        return DeclaredPurpose(purpose, frozenset() if stream is None else frozenset({stream}))
    return DeclaredPurpose(purpose, None)
