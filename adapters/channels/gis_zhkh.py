"""The state housing portal ГИС ЖКХ: appeals imported from it, with their portal identifier."""

from __future__ import annotations

from adapters.channels.base import AccountNumber, ChannelMessage, Instant, Name
from domain import commands as c
from domain.values import AppealType, Channel, Contact, ShortText, Text


class AppealImported(ChannelMessage, frozen=True, kw_only=True, tag="appeal_imported"):
    """An appeal a client filed on the portal, imported with the portal's identifier."""

    portal_id: Name
    account_number: AccountNumber
    received_at: Instant
    appeal_type: AppealType
    subject: ShortText
    text: Text
    contact: Contact | None = None
    reply_channel: Channel = Channel.GIS_ZHKH

    @property
    def external_id(self) -> str:
        """The portal identifier: the answer goes back to the portal under it, and a
        re-import of the same appeal is recognised whatever its message id."""
        return self.portal_id

    def to_commands(self) -> list[c.Command]:
        """Register the written appeal under the portal identifier."""
        return [c.RegisterAppeal(
            account_number=self.account_number, channel=Channel.GIS_ZHKH,
            type=self.appeal_type, received_at=self.received_at, subject=self.subject,
            text=self.text, contact=self.contact, reply_channel=self.reply_channel,
            external_id=self.external_id,
        )]


GisZhkhMessage = AppealImported
"""Everything `ledger.ingest.gis_zhkh` accepts (`kind` = appeal_imported)."""
