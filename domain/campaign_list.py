"""A campaign's stored list: each recipient's figures sealed under that recipient's own key.

One campaign stream holds the figures (name, debt...) of thousands of accounts. Erasing one
account must make its figures unreadable without rewriting the stream or touching the
others', so each recipient's `values` are sealed with that account's data key by a
`RecipientSealer` (adapters/notify/campaign_sealer.py). Lists stored before sealing carry
plain `values` and no `sealed`: they decode as they are (events are never rewritten).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol
from uuid import UUID

import msgspec

from domain.campaign_commands import Recipient

ERASED_REASON = "personal data erased"
"""Why the runner asks nothing for a recipient whose account was erased."""

Values = dict[str, str]


class SealedValues(msgspec.Struct, frozen=True):
    """A recipient's figures as stored: key generation `k`, nonce + ciphertext `b`."""

    k: int
    b: bytes


class ListedRecipient(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One account on a stored list: its figures sealed (or plain, if listed before sealing)."""

    account_number: str
    values: Values = msgspec.field(default_factory=dict)
    """Plain figures: only in lists stored before sealing."""
    sealed: SealedValues | None = None


class RecipientSealer(Protocol):
    """Seals and opens recipients' figures with each recipient's own account data key."""

    def seal(self, campaign_id: UUID, recipients: Sequence[Recipient]) -> list[ListedRecipient]:
        """The recipients as stored, each one's figures sealed under its account's key."""
        ...

    def open(
        self, campaign_id: UUID, listed: Sequence[ListedRecipient]
    ) -> list[Values | None]:
        """Each recipient's figures in order; None where its account's key was destroyed."""
        ...
