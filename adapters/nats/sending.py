"""Sending a batch of events to JetStream as a chain, so that one ack answers for all of them.

Every message but the first of a batch carries `Nats-Expected-Last-Msg-Id` = the id of the event
before it, and JetStream stores a message only if the stream's last message id is that one (a
repeated `Nats-Msg-Id` is answered as a duplicate before that check). So the stream holds an
event only if it holds the event before it, and the acknowledged last message of a batch, stored
now or before, vouches for the whole batch. The others are published without a reply subject:
JetStream stores them without answering, which spares the ack round of every message. A message
lost or refused on the way breaks the chain: the rest of the batch is refused, the last ack is an
error, and `stored_prefix` finds how far the stream got before the batch is sent again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import msgspec
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import PubAck
from nats.js.errors import NotFoundError

from adapters.nats.bodies import Body, body
from adapters.nats.streams import Subjects
from projections.base import LoggedEvent

ACK_TIMEOUT = 10.0
MSG_ID = "Nats-Msg-Id"
EXPECTED_LAST_MSG_ID = "Nats-Expected-Last-Msg-Id"
_POLL = 0.05


class Outgoing(msgspec.Struct, frozen=True):
    """One event ready to send: its log position, subject, JSON body and headers."""

    position: int
    subject: str
    body: bytes
    headers: dict[str, str]

    @property
    def msg_id(self) -> str:
        """The event id it is sent under."""
        return self.headers[MSG_ID]


def outgoing(subjects: Subjects, batch: list[LoggedEvent]) -> list[Outgoing]:
    """The messages of a batch in log order; each but the first names its predecessor."""
    messages: list[Outgoing] = []
    for logged in batch:
        previous = messages[-1].msg_id if messages else None
        messages.append(outgoing_message(
            subjects, logged.position, str(logged.event.originator_id), logged.type,
            body(logged), previous))
    return messages


def outgoing_message(
    subjects: Subjects, position: int, stream_id: str, event_type: str, made: Body,
    previous: str | None,
) -> Outgoing:
    """One message of a batch: its subject, and headers naming the event before it, if any."""
    headers = {MSG_ID: made.msg_id}
    if previous is not None:
        headers[EXPECTED_LAST_MSG_ID] = previous
    return Outgoing(position, subjects.event(stream_id, event_type), made.json, headers)


async def send(client: Client, js: JetStreamContext, batch: list[Outgoing]) -> None:
    """Publish the batch while on one connection and wait for the ack of its last message.

    The first message goes without its guard: the caller knows its predecessor is on the
    stream, and a server restarted may not know its last message id yet (nats-server 2.9).
    Raises when the connection dropped, the ack did not come in time, or JetStream refused."""
    reconnects = client.stats["reconnects"]

    def check_connected() -> None:
        if not (client.is_connected and client.stats["reconnects"] == reconnects):
            raise ConnectionError("connection to NATS lost during the batch")

    first = batch[0]
    unguarded = Outgoing(first.position, first.subject, first.body, {MSG_ID: first.msg_id})
    *leading, last = [unguarded, *batch[1:]]
    for message in leading:
        check_connected()
        await client.publish(message.subject, message.body, headers=message.headers)
    check_connected()
    # js.publish, not publish_async: nats-py 2.16 never settles publish_async's future when
    # JetStream answers with an error (its reply handler raises instead; nats.py issue #985).
    await _unless_disconnected(asyncio.ensure_future(js.publish(
        last.subject, last.body, timeout=ACK_TIMEOUT, headers=last.headers)), check_connected)


async def _unless_disconnected(
    ack: asyncio.Future[PubAck], check_connected: Callable[[], None]
) -> PubAck:
    """The ack, unless the connection drops first (the request would wait out its timeout)."""
    try:
        while not ack.done():
            await asyncio.wait([ack], timeout=_POLL)
            check_connected()
    finally:
        ack.cancel()
    return ack.result()


async def stored_prefix(js: JetStreamContext, stream: str, batch: list[Outgoing]) -> int:
    """How many leading messages of the batch the stream holds already (by the chain, those
    up to its last message), 0 when its last message is not one of them."""
    state = (await js.stream_info(stream)).state
    if not state.messages:
        return 0
    try:
        last = await js.get_msg(stream, seq=state.last_seq)
    except NotFoundError:
        return 0
    last_id = (last.headers or {}).get(MSG_ID)
    for index, message in enumerate(batch):
        if message.msg_id == last_id:
            return index + 1
    return 0
