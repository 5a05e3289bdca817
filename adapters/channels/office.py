"""Office (ЦОК) desk and electronic queue: visits, queue tickets, appeals handed in at a desk."""

from __future__ import annotations

from adapters.channels.base import (
    AccountNumber,
    ChannelMessage,
    Instant,
    Name,
    check_order,
    duration,
    meter_summary,
)
from domain import commands as c
from domain.values import (
    AppealForm,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    ShortText,
    Text,
)


class Visit(ChannelMessage, frozen=True, kw_only=True, tag="visit"):
    """A client served at a desk, with the topic and, if handed in, a meter reading."""

    account_number: AccountNumber
    office: Name
    occurred_at: Instant
    operator: Name
    topic: Name
    meter_reading: MeterReading | None = None

    def to_commands(self) -> list[c.Command]:
        """One inbound contact at the office."""
        summary = f"Приём в {self.office}: {self.topic}"
        if self.meter_reading is not None:
            summary = f"{summary}. {meter_summary('в офисе', self.meter_reading)}"
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.OFFICE,
            direction=Direction.INBOUND, occurred_at=self.occurred_at, summary=summary,
            operator=self.operator, external_id=self.external_id,
            meter_reading=self.meter_reading,
        )]


class QueueTicket(ChannelMessage, frozen=True, kw_only=True, tag="queue_ticket"):
    """An electronic-queue ticket once it was called to a desk: how long the client waited."""

    account_number: AccountNumber
    office: Name
    ticket: Name
    service: Name
    issued_at: Instant
    called_at: Instant
    desk: Name
    operator: Name | None = None

    def __post_init__(self) -> None:
        check_order(self.issued_at, self.called_at, "issuedAt, calledAt")

    def to_commands(self) -> list[c.Command]:
        """One inbound contact from the ticket's issue until, at least, its call to a desk:
        timers that run from a contact's end (the survey's 24 hours) start no earlier."""
        summary = (f"Электронная очередь {self.office}: талон {self.ticket} ({self.service}), "
                   f"ожидание {duration(self.issued_at, self.called_at)}, окно {self.desk}")
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.OFFICE,
            direction=Direction.INBOUND, occurred_at=self.issued_at, ended_at=self.called_at,
            summary=summary, operator=self.operator, external_id=self.external_id,
        )]


class DeskAppeal(ChannelMessage, frozen=True, kw_only=True, tag="appeal"):
    """An appeal made at a desk: oral by default, written when the client hands in a paper."""

    account_number: AccountNumber
    office: Name
    received_at: Instant
    appeal_type: AppealType
    subject: ShortText
    text: Text
    form: AppealForm = AppealForm.ORAL
    contact: Contact | None = None
    reply_channel: Channel | None = None

    def to_commands(self) -> list[c.Command]:
        """Register the appeal on the account."""
        return [c.RegisterAppeal(
            account_number=self.account_number, channel=Channel.OFFICE, type=self.appeal_type,
            received_at=self.received_at, subject=self.subject, text=self.text,
            contact=self.contact, reply_channel=self.reply_channel,
            external_id=self.external_id, form=self.form,
        )]


OfficeMessage = Visit | QueueTicket | DeskAppeal
"""Everything `ledger.ingest.office` accepts, told apart by `kind`."""
