"""Post through the document-management system (СЭД): letters registered there."""

from __future__ import annotations

from adapters.channels.base import AccountNumber, ChannelMessage, Instant, Name
from domain import commands as c
from domain.values import AppealForm, AppealType, Channel, Contact, ShortText, Text


class LetterRegistered(ChannelMessage, frozen=True, kw_only=True, tag="letter_registered"):
    """A letter registered in the СЭД under its registration number: a written appeal."""

    registration_number: Name
    account_number: AccountNumber
    registered_at: Instant
    appeal_type: AppealType
    subject: ShortText
    text: Text
    sender: Contact
    reply_channel: Channel = Channel.MAIL

    @property
    def external_id(self) -> str:
        """The registration number: a letter resent under another message id is one letter."""
        return self.registration_number

    def to_commands(self) -> list[c.Command]:
        """Register the written appeal, answered by post unless the sender asked otherwise."""
        return [c.RegisterAppeal(
            account_number=self.account_number, channel=Channel.MAIL, type=self.appeal_type,
            received_at=self.registered_at, subject=self.subject,
            text=self.text, contact=self.sender,
            reply_channel=self.reply_channel, external_id=self.external_id,
            form=AppealForm.WRITTEN,
        )]


MailMessage = LetterRegistered
"""Everything `ledger.ingest.mail` accepts (`kind` = letter_registered)."""
