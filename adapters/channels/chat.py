"""The online office chat: messages, questions registered as appeals, operators, deferrals."""

from __future__ import annotations

from typing import Literal

from adapters.channels.base import (
    AccountNumber,
    AppealNumber,
    ChannelMessage,
    Instant,
    Name,
    clip,
)
from domain import commands as c
from domain.values import AppealType, Channel, Contact, Direction, ShortText, Text

_FROM = {"client": Direction.INBOUND, "operator": Direction.OUTBOUND}


class ChatMessage(ChannelMessage, frozen=True, kw_only=True, tag="message"):
    """A line written in a chat session, by the client or by an operator."""

    session_id: Name
    account_number: AccountNumber
    sent_at: Instant
    author: Literal["client", "operator"]
    text: Text
    operator: Name | None = None

    def to_commands(self) -> list[c.Command]:
        """One contact, inbound from the client or outbound from the operator."""
        return [c.RecordInteraction(
            account_number=self.account_number, channel=Channel.CHAT,
            direction=_FROM[self.author], occurred_at=self.sent_at,
            summary=clip(f"Чат {self.session_id}: {self.text}"), operator=self.operator,
            external_id=self.external_id,
        )]


class ChatAppeal(ChannelMessage, frozen=True, kw_only=True, tag="appeal"):
    """A client's question in a session, registered as an appeal of the online office."""

    session_id: Name
    account_number: AccountNumber
    received_at: Instant
    appeal_type: AppealType = AppealType.INQUIRY
    subject: ShortText
    text: Text
    contact: Contact | None = None

    def to_commands(self) -> list[c.Command]:
        """Register the appeal; it is answered in the chat."""
        return [_register(self, self.subject)]


class OutOfHours(ChannelMessage, frozen=True, kw_only=True, tag="out_of_hours"):
    """A message left while the online office is closed: registered as an appeal, which the
    ledger answers at once with when it will be taken up (9.1.5)."""

    session_id: Name
    account_number: AccountNumber
    received_at: Instant
    appeal_type: AppealType = AppealType.INQUIRY
    text: Text
    contact: Contact | None = None

    def to_commands(self) -> list[c.Command]:
        """Register the appeal; the domain adds the out-of-hours reply."""
        return [_register(self, "Обращение в чат в нерабочее время")]


class OperatorJoined(ChannelMessage, frozen=True, kw_only=True, tag="operator_joined"):
    """An operator took up a chat appeal: the operator is its assignee."""

    appeal_number: AppealNumber
    operator: Name
    at: Instant

    def to_commands(self) -> list[c.Command]:
        """Assign the appeal to the operator."""
        return [c.AssignAppeal(appeal_number=self.appeal_number, assignee=self.operator,
                               at=self.at)]


class Deferred(ChannelMessage, frozen=True, kw_only=True, tag="deferred"):
    """A chat appeal left for the next working day (end of the online office's day, 9.1.5)."""

    appeal_number: AppealNumber
    reason: Text
    at: Instant

    def to_commands(self) -> list[c.Command]:
        """Defer the appeal."""
        return [c.DeferAppeal(appeal_number=self.appeal_number, reason=self.reason, at=self.at)]


def _register(message: ChatAppeal | OutOfHours, subject: str) -> c.RegisterAppeal:
    return c.RegisterAppeal(
        account_number=message.account_number, channel=Channel.CHAT,
        type=message.appeal_type, received_at=message.received_at, subject=subject,
        text=message.text, contact=message.contact, reply_channel=Channel.CHAT,
        external_id=message.external_id,
    )


ChatChannelMessage = ChatMessage | ChatAppeal | OutOfHours | OperatorJoined | Deferred
"""Everything `ledger.ingest.chat` accepts, told apart by `kind`."""
