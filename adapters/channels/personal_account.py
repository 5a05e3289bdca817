"""The personal account web service and the mobile app: the `channel` field says which."""

from __future__ import annotations

from typing import Literal

from adapters.channels.base import AccountNumber, ChannelMessage, Instant, meter_summary
from domain import commands as c
from domain.values import AppealType, Channel, Contact, Direction, MeterReading, ShortText, Text

WebChannel = Literal["personal_account", "mobile_app"]
_WHERE = {"personal_account": "в личном кабинете", "mobile_app": "в мобильном приложении"}


class AccountMeterReading(ChannelMessage, frozen=True, kw_only=True, tag="meter_reading"):
    """A meter reading the client submitted online (6.1.3)."""

    channel: WebChannel
    account_number: AccountNumber
    submitted_at: Instant
    meter_reading: MeterReading

    def to_commands(self) -> list[c.Command]:
        """Record the reading as an inbound contact on the client's channel."""
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel(self.channel),
            direction=Direction.INBOUND, occurred_at=self.submitted_at,
            summary=meter_summary(_WHERE[self.channel], self.meter_reading),
            external_id=self.external_id, meter_reading=self.meter_reading,
        )]


class AccountAppeal(ChannelMessage, frozen=True, kw_only=True, tag="appeal"):
    """An appeal the client wrote online; answered online unless they chose another channel."""

    channel: WebChannel
    account_number: AccountNumber
    submitted_at: Instant
    appeal_type: AppealType
    subject: ShortText
    text: Text
    contact: Contact | None = None
    reply_channel: Channel | None = None

    def to_commands(self) -> list[c.Command]:
        """Register the appeal on the client's channel."""
        return [c.RegisterAppeal(
            account_number=self.account_number, channel=Channel(self.channel),
            type=self.appeal_type, received_at=self.submitted_at, subject=self.subject,
            text=self.text, contact=self.contact,
            reply_channel=self.reply_channel or Channel(self.channel),
            external_id=self.external_id,
        )]


PersonalAccountMessage = AccountMeterReading | AccountAppeal
"""Everything `ledger.ingest.personal_account` accepts, told apart by `kind`."""
