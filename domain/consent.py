"""Which channel may carry a notification, and to which address (9.1.6, 10.7, 8.4.6).

A channel is used only with consent: the account's consent for that channel, or, for a notice
about the client's own appeal, the contact details the client gave in that appeal (they were
given to be answered there), unless consent for the channel was withdrawn after the appeal
came in. E-mail and SMS go only to addresses the client gave voluntarily (9.1.6.2, 9.1.6.3);
phone auto-informing calls only the contract's numbers (9.1.6.1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from domain.appeal import Appeal
from domain.notification_values import (
    ContactKind,
    ContactPoint,
    ContactSource,
    NotificationChannel,
)
from domain.values import ERASED, Channel

_C, _K = NotificationChannel, ContactKind
_ACCOUNT_ADDRESSED = frozenset({_C.PUSH, _C.CHAT})
"""The app and the chat find the client by the account number."""
_WANTS: dict[NotificationChannel, tuple[frozenset[ContactKind], frozenset[ContactSource], str]] = {
    _C.EMAIL: (frozenset({_K.EMAIL}), frozenset({ContactSource.CLIENT}),
               "no e-mail address given by the client (9.1.6.2)"),
    _C.SMS: (frozenset({_K.MOBILE}), frozenset({ContactSource.CLIENT}),
             "no mobile number given by the client (9.1.6.3)"),
    _C.PHONE: (frozenset({_K.PHONE, _K.MOBILE}), frozenset({ContactSource.CONTRACT}),
               "no phone number in the contract (9.1.6.1)"),
    _C.POST: (frozenset({_K.POSTAL}), frozenset(ContactSource), "no postal address"),
}
"""Channel -> the contact kinds and sources it may use, and why it cannot when none is there."""
_APP_CHANNELS = {_C.PUSH: (Channel.MOBILE_APP, Channel.PERSONAL_ACCOUNT), _C.CHAT: (Channel.CHAT,)}


@dataclass
class ContactBook:
    """An account's contact points and its consent per channel, as its history made them."""

    points: list[ContactPoint] = field(default_factory=list)
    consents: dict[NotificationChannel, tuple[bool, datetime]] = field(default_factory=dict)

    def knows(self, point: ContactPoint) -> bool:
        """The same address from the same source is recorded already."""
        return any((p.kind, p.value, p.source) == (point.kind, point.value, point.source)
                   for p in self.points)

    def consented(self, channel: NotificationChannel) -> bool:
        """Consent for the channel is given and not withdrawn since."""
        return self.consents.get(channel, (False, None))[0]

    def withdrawn_after(self, channel: NotificationChannel, moment: datetime) -> bool:
        """Consent for the channel was withdrawn after a moment (and not given again)."""
        given, at = self.consents.get(channel, (True, moment))
        return not given and at > moment

    def erase(self) -> None:
        """After an erasure the addresses read as erased and reach no one (152-ФЗ)."""
        self.points = [msgspec.structs.replace(p, value=ERASED) for p in self.points]

    def latest(self, channel: NotificationChannel) -> str | None:
        """The most recently recorded address the channel may use."""
        kinds, sources, _ = _WANTS[channel]
        for point in reversed(self.points):
            if point.kind in kinds and point.source in sources and point.value != ERASED:
                return point.value
        return None


@dataclass(frozen=True)
class Address:
    """Where a notification goes: a channel and its recipient (an address or the account)."""

    channel: NotificationChannel
    recipient: str


def choose(
    book: ContactBook, channels: Sequence[NotificationChannel], account_number: str,
    appeal: Appeal | None = None,
) -> Address | str:
    """The first allowed channel with an address, or why none is allowed (one reason each)."""
    reasons = []
    for channel in channels:
        found = _address(book, channel, account_number, appeal)
        if isinstance(found, Address):
            return found
        reasons.append(f"{channel}: {found}")
    return "; ".join(reasons) or "no channel asked for"


def _address(
    book: ContactBook, channel: NotificationChannel, account_number: str, appeal: Appeal | None
) -> Address | str:
    given = None if appeal is None else _from_appeal(channel, appeal, account_number)
    if appeal is not None and given is not None:
        if book.withdrawn_after(channel, appeal.received_at):
            return "consent withdrawn after the appeal came in"
        return Address(channel, given)
    if not book.consented(channel):
        return "no consent for this channel"
    if channel in _ACCOUNT_ADDRESSED:
        return Address(channel, account_number)
    latest = book.latest(channel)
    return _WANTS[channel][2] if latest is None else Address(channel, latest)


def _from_appeal(channel: NotificationChannel, appeal: Appeal, account_number: str) -> str | None:
    """The address the client gave in the appeal for this channel, if any."""
    if channel in _APP_CHANNELS:
        return account_number if appeal.channel in _APP_CHANNELS[channel] else None
    contact = appeal.contact
    if contact is None:
        return None
    value = {_C.EMAIL: contact.email, _C.SMS: contact.phone,
             _C.POST: contact.postal_address}.get(channel)
    return value if value and value != ERASED else None
