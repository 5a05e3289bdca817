"""The last checkpoint published on JetStream: a copy of the log's summary outside the database,
so a tail cut from the database (events, chain and checkpoints alike) still shows."""

from __future__ import annotations

from typing import Any

import msgspec
from nats.js.errors import NotFoundError

from adapters.checkpoint_check import Anchor
from adapters.nats.streams import Subjects, connect
from domain.checkpoint import CHECKPOINT_STREAM_ID


class _Body(msgspec.Struct):
    version: int
    position: int
    payload: dict[str, Any]


async def published_anchor(url: str, subjects: Subjects) -> Anchor | None:
    """The last Checkpointed message on the ledger's stream, or None if none was published."""
    client = await connect(url, name="ledger-verify")
    try:
        subject = subjects.event(str(CHECKPOINT_STREAM_ID), "Checkpointed")
        try:
            message = await client.jetstream().get_last_msg(subjects.stream, subject)
        except NotFoundError:
            return None
    finally:
        await client.close()
    body = msgspec.json.decode(message.data or b"{}", type=_Body)
    payload = body.payload
    return Anchor(root=str(payload["root"]), position=int(payload["position"]),
                  streams=int(payload["streams"]), events=int(payload["events"]),
                  version=body.version, event_position=body.position, source="nats")
