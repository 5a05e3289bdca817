"""One fetched message on its way in: decoded and mapped, then judged by what the ledger said."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from nats.aio.msg import Msg

from adapters.channels.base import ChannelMessage
from adapters.channels.dead_letters import Rejection, rejection_of, unreadable
from adapters.channels.registry import ChannelAdapter
from domain.commands import AccountCommand, AppealCommand, Command
from domain.ledger import Outcome
from domain.unidentified_commands import ContactCommand

Verdict = Rejection | BaseException | None
"""What became of a message: refused for good, failed for now (retry), or stored."""


class CommandSink(Protocol):
    """Where commands go: the group committer."""

    def submit(self, command: Command, actor: str, now: datetime) -> Future[Outcome]:
        """Queue a command; the future holds its outcome or its error."""


@dataclass
class Delivery:
    """A fetched message: its commands, or why it is refused before reaching the ledger."""

    msg: Msg
    key: str | None = None
    """Kind, external id and where its commands go: a repeat within one batch shares the
    first's fate."""
    commands: list[Command] = field(default_factory=list)
    rejection: Rejection | None = None
    failure: BaseException | None = None
    futures: list[Future[Outcome]] = field(default_factory=list)


def read(adapter: ChannelAdapter, msg: Msg) -> Delivery:
    """Decode and map a message; one that cannot be (malformed, invalid, nested too deeply for
    the decoder, or anything else raised on the way) carries its rejection: it would fail the
    same way on every redelivery, and raising here would stop the whole batch."""
    if not msg.data.strip():  # msgspec says "Input data was truncated", which puzzles a sender
        return Delivery(msg, rejection=Rejection("MALFORMED_JSON", "the message is empty: a"
                                                 " JSON object with its kind was expected"))
    try:
        message = adapter.decode(msg.data)
        commands = adapter.to_commands(message)
        key = repeat_key(message, commands)
    except Exception as error:
        return Delivery(msg, rejection=unreadable(error))
    return Delivery(msg, key=key, commands=commands)


def repeat_key(message: ChannelMessage, commands: list[Command]) -> str:
    """Kind and external id, and the stream and channel of each command: the ledger recognises
    a repeat by channel + external id within one account, so a message counts as a repeat in
    a batch only where the ledger would count it as one (the same id for another account is
    another fact, whatever the batching)."""
    targets = sorted({f"{_stream_of(c)}/{getattr(c, 'channel', '')}" for c in commands})
    return f"{type(message).__name__}:{message.external_id}:{','.join(targets)}"


def _stream_of(command: Command) -> str:
    """The account (or unidentified contact's) stream a command is stored in, or its appeal."""
    if isinstance(command, AccountCommand):
        return command.account_number
    if isinstance(command, AppealCommand):
        return command.appeal_number
    if isinstance(command, ContactCommand):
        return command.contact_ref
    return ""


@dataclass
class Batch:
    """One fetch: every delivery, and for each the first of its repeats (itself if none)."""

    deliveries: list[Delivery]
    originals: list[Delivery]

    @classmethod
    def read(cls, adapter: ChannelAdapter, msgs: list[Msg]) -> Batch:
        """Decode and map a fetched batch."""
        deliveries = [read(adapter, msg) for msg in msgs]
        firsts: dict[str, Delivery] = {}
        return cls(deliveries, [firsts.setdefault(d.key, d) if d.key else d for d in deliveries])

    @property
    def unique(self) -> list[Delivery]:
        """The deliveries that go to the ledger: a repeat waits for its first."""
        return [d for d, o in zip(self.deliveries, self.originals, strict=True) if d is o]

    @property
    def guarded(self) -> list[Delivery]:
        """Deliveries with an appeal action, which the log is read for before it is stored."""
        return [d for d in self.unique if any(isinstance(c, AppealCommand) for c in d.commands)]


async def verdict(delivery: Delivery) -> Verdict:
    """Stored when every command is; a transient error wins over a refusal (retry them all)."""
    if delivery.rejection is not None or delivery.failure is not None:
        return delivery.rejection or delivery.failure
    for future in delivery.futures:
        if not future.done():  # the committer answers in order: most are done by now
            waited = asyncio.wrap_future(future)
            await asyncio.wait([waited])
            if not waited.cancelled():
                waited.exception()  # judged below; unread, asyncio logged it as an ERROR
    errors = [e for e in (f.exception() for f in delivery.futures) if e is not None]
    refusals = [rejection_of(e) for e in errors]
    transient = [e for e, r in zip(errors, refusals, strict=True) if r is None]
    return transient[0] if transient else next((r for r in refusals if r), None)
