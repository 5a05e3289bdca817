"""The vocabulary of the ledger: channels, appeal types and statuses, contacts (GLOSSARY.md)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

import msgspec


class Channel(StrEnum):
    """Where a contact happened (API.md `Channel`)."""

    OFFICE = "office"
    PHONE = "phone"
    IVR = "ivr"
    CHAT = "chat"
    MAIL = "mail"
    EMAIL = "email"
    PERSONAL_ACCOUNT = "personal_account"
    MOBILE_APP = "mobile_app"
    GIS_ZHKH = "gis_zhkh"


INTERACTIVE_CHANNELS = frozenset({Channel.CHAT, Channel.PERSONAL_ACCOUNT, Channel.MOBILE_APP})
"""The online office (9.1.5, 9.2.4): answered in working days, may be deferred to the next day."""


class Direction(StrEnum):
    """Who started the contact."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class AccountKind(StrEnum):
    """Individual (лицевой счёт), legal entity or sole trader (договор); or a person not yet
    known as a client, whose stream is keyed by their contact (domain/unidentified.py)."""

    INDIVIDUAL = "individual"
    LEGAL_ENTITY = "legal_entity"
    SOLE_TRADER = "sole_trader"
    UNIDENTIFIED = "unidentified"


class AppealType(StrEnum):
    """Statement, complaint, proposal, information request, thanks, review (3.1.13, 10.4)."""

    STATEMENT = "statement"
    COMPLAINT = "complaint"
    PROPOSAL = "proposal"
    INQUIRY = "inquiry"
    THANKS = "thanks"
    REVIEW = "review"


class AppealForm(StrEnum):
    """Written, oral or electronic: decides which deadlines apply (8.4, 9.2.4)."""

    WRITTEN = "written"
    ORAL = "oral"
    ELECTRONIC = "electronic"


FORM_OF_CHANNEL: dict[Channel, AppealForm] = {
    Channel.OFFICE: AppealForm.ORAL,
    Channel.PHONE: AppealForm.ORAL,
    Channel.IVR: AppealForm.ORAL,
    Channel.CHAT: AppealForm.ELECTRONIC,
    Channel.PERSONAL_ACCOUNT: AppealForm.ELECTRONIC,
    Channel.MOBILE_APP: AppealForm.ELECTRONIC,
    Channel.MAIL: AppealForm.WRITTEN,
    Channel.EMAIL: AppealForm.WRITTEN,
    Channel.GIS_ZHKH: AppealForm.WRITTEN,
}
"""The form an appeal takes on each channel unless stated (a written statement at an office)."""


class AppealStatus(StrEnum):
    """Where an appeal is in its lifecycle (API.md `AppealStatus`)."""

    REGISTERED = "registered"
    ASSIGNED = "assigned"
    AWAITING_CLIENT = "awaiting_client"
    DEFERRED = "deferred"
    ANSWERED = "answered"
    CLOSED = "closed"
    LEFT_WITHOUT_CONSIDERATION = "left_without_consideration"


class WithoutConsiderationReason(StrEnum):
    """Why a written appeal is not considered on the merits (8.4.5–8.4.8)."""

    OBSCENE = "obscene"
    ILLEGIBLE = "illegible"
    REPEATED = "repeated"
    NO_CONTACT = "no_contact"


Text = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000)]
ShortText = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


ERASED = "[erased]"
"""What a personal-data text reads as once the account's data key was destroyed (erasure)."""


class Contact(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """How to reach the person who wrote: needed for an answer (8.4.8)."""

    name: str | None = None
    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None

    def reachable(self) -> bool:
        """An answer can be sent: there is a phone, an e-mail or a postal address (erased
        details reach no one)."""
        return any(v and v != ERASED for v in (self.phone, self.email, self.postal_address))


class MeterReading(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A meter reading handed in through any channel (6.1.3)."""

    meter_number: ShortText
    value: Decimal

    def __post_init__(self) -> None:
        if not self.value.is_finite() or self.value < 0:  # NaN cannot be compared
            raise ValueError("a meter reading is a finite number, zero or more")
