"""Channel name → the messages its subject accepts; the consumers, examples and docs read this."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import msgspec

from adapters.channels.base import ChannelMessage
from adapters.channels.chat import ChatChannelMessage
from adapters.channels.email import EmailMessage
from adapters.channels.gis_zhkh import GisZhkhMessage
from adapters.channels.mail import MailMessage
from adapters.channels.office import OfficeMessage
from adapters.channels.personal_account import PersonalAccountMessage
from adapters.channels.phone import PhoneMessage
from domain.commands import Command


@dataclass(frozen=True)
class ChannelAdapter:
    """One channel system: the subject token it sends to and the message type it sends."""

    name: str
    message_type: Any
    """A ChannelMessage subclass, or a union of them told apart by `kind`."""
    _decoder: msgspec.json.Decoder[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_decoder", msgspec.json.Decoder(self.message_type))

    def decode(self, data: bytes) -> ChannelMessage:
        """The typed message; msgspec's DecodeError or ValidationError (with the field path)."""
        message: ChannelMessage = self._decoder.decode(data)
        return message

    def to_commands(self, message: ChannelMessage) -> list[Command]:
        """The commands the message maps to (its kind decides)."""
        return message.to_commands()

    def examples(self) -> list[dict[str, Any]]:
        """The example payloads of `examples/<name>.json`, one of each kind at least."""
        data = resources.files("adapters.channels").joinpath("examples", f"{self.name}.json")
        loaded: list[dict[str, Any]] = msgspec.json.decode(data.read_bytes())
        return loaded


CHANNELS: dict[str, ChannelAdapter] = {
    adapter.name: adapter
    for adapter in (
        ChannelAdapter("office", OfficeMessage),
        ChannelAdapter("phone", PhoneMessage),
        ChannelAdapter("chat", ChatChannelMessage),
        ChannelAdapter("mail", MailMessage),
        ChannelAdapter("email", EmailMessage),
        ChannelAdapter("personal_account", PersonalAccountMessage),
        ChannelAdapter("gis_zhkh", GisZhkhMessage),
    )
}
"""Every channel with an ingest subject `<prefix>.ingest.<name>`; IVR arrives on `phone`,
the mobile app on `personal_account`."""
