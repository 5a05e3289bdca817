"""What every channel message shares: a `kind` tag, a `messageId`, and its mapping to commands."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from domain import commands as c
from domain.values import MeterReading

MessageId = c.ExternalId
"""The sender's id of the message, stable across resends: the commands' external id."""
Instant = c.Instant
"""An ISO 8601 moment with an offset."""
AccountNumber = c.AccountNumber
AppealNumber = c.AppealNumber
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
"""An office, desk, operator, ticket or session name as the channel system knows it."""


class ChannelMessage(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", tag_field="kind"
):
    """A message a channel system sends to `ledger.ingest.<channel>`; the subclass is its kind."""

    message_id: MessageId

    @property
    def external_id(self) -> str:
        """The id a resend repeats, so the ledger stores the fact once (default: messageId)."""
        return self.message_id

    def to_commands(self) -> list[c.Command]:
        """The domain commands this message asks for, in order (none: nothing to store)."""
        raise NotImplementedError


def duration(start: datetime, end: datetime) -> str:
    """A call's length as an operator reads it: `4 мин 05 с`."""
    minutes, seconds = divmod(int((end - start).total_seconds()), 60)
    return f"{minutes} мин {seconds:02d} с"


def check_order(earlier: datetime, later: datetime, fields: str) -> None:
    """Refuse a message whose moments are out of order (msgspec reports it as invalid); the
    reason ends with msgspec's own "- at `$.field`", so the dead letter names the later one
    in its field header as for any other invalid field."""
    if later < earlier:
        first, second = (name.strip() for name in fields.split(","))
        raise ValueError(f"{second} is before {first} - at `$.{second}`")


def meter_summary(where: str, reading: MeterReading) -> str:
    """The timeline line of a meter reading handed in through a channel (6.1.3)."""
    return f"Показания {where}: счётчик {reading.meter_number} — {reading.value}"



def clip(text: str, limit: int = 20_000) -> str:
    """A summary within the ledger's text limit (a long chat line is cut, not refused)."""
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
