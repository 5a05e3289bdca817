"""E-mail to the supplier: letters (written appeals) and meter readings found in them."""

from __future__ import annotations

from adapters.channels.base import AccountNumber, ChannelMessage, Instant, Name, meter_summary
from domain import commands as c
from domain.errors import ValidationError
from domain.unidentified import UnidentifiedContact
from domain.unidentified_commands import RecordUnidentifiedInteraction
from domain.values import AppealType, Channel, Contact, Direction, MeterReading, ShortText, Text


class EmailReceived(ChannelMessage, frozen=True, kw_only=True, tag="email_received"):
    """A letter from a client: a written appeal, answered by e-mail (10.7)."""

    account_number: AccountNumber
    received_at: Instant
    from_address: Name
    from_name: Name | None = None
    subject: ShortText
    body: Text
    appeal_type: AppealType = AppealType.STATEMENT

    def to_commands(self) -> list[c.Command]:
        """Register the appeal with the sender as its contact."""
        return [c.RegisterAppeal(
            account_number=self.account_number, channel=Channel.EMAIL, type=self.appeal_type,
            received_at=self.received_at, subject=self.subject, text=self.body,
            contact=Contact(name=self.from_name, email=self.from_address),
            reply_channel=Channel.EMAIL, external_id=self.external_id,
        )]


class EmailMeterReading(ChannelMessage, frozen=True, kw_only=True, tag="meter_reading"):
    """A meter reading the mail gateway found in a client's letter (6.1.3)."""

    account_number: AccountNumber
    received_at: Instant
    from_address: Name
    meter_reading: MeterReading

    def to_commands(self) -> list[c.Command]:
        """Record the reading as an inbound e-mail contact."""
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.EMAIL,
            direction=Direction.INBOUND, occurred_at=self.received_at,
            summary=f"{meter_summary('по e-mail', self.meter_reading)} ({self.from_address})",
            external_id=self.external_id, meter_reading=self.meter_reading,
        )]


class UnknownEmailReceived(ChannelMessage, frozen=True, kw_only=True,
                           tag="unknown_email_received"):
    """A letter from an address no account is known for: the sender's own stream is opened
    with the contact (domain/unidentified.py) and the appeal registered there, to be linked
    to an account once the client is identified."""

    received_at: Instant
    from_address: Name
    from_name: Name | None = None
    subject: ShortText
    body: Text
    appeal_type: AppealType = AppealType.STATEMENT

    def __post_init__(self) -> None:
        try:
            UnidentifiedContact(email=self.from_address).key()
        except ValidationError as error:
            raise ValueError(f"fromAddress: {error.message}") from None

    def to_commands(self) -> list[c.Command]:
        """The contact in the sender's stream, then the appeal in it."""
        sender = UnidentifiedContact(email=self.from_address)
        ref = sender.ref()
        return [
            RecordUnidentifiedInteraction(
                account_number=ref, contact=sender, channel=Channel.EMAIL,
                direction=Direction.INBOUND, occurred_at=self.received_at,
                summary=f"Письмо от неизвестного отправителя: {self.subject}",
                external_id=self.external_id),
            c.RegisterAppeal(
                account_number=ref, channel=Channel.EMAIL, type=self.appeal_type,
                received_at=self.received_at, subject=self.subject, text=self.body,
                contact=Contact(name=self.from_name, email=self.from_address),
                reply_channel=Channel.EMAIL, external_id=self.external_id),
        ]


EmailMessage = EmailReceived | EmailMeterReading | UnknownEmailReceived
"""Everything `ledger.ingest.email` accepts, told apart by `kind`."""
