"""The last checkpoint published on JetStream: a copy of the log's summary outside the database,
so a tail cut from the database (events, chain and checkpoints alike) still shows."""

from __future__ import annotations

from typing import Any

import msgspec
import nats
import nats.errors
from nats.errors import NoServersError
from nats.js.errors import NotFoundError

from adapters.checkpoint_check import Anchor
from adapters.nats.streams import Subjects
from domain.checkpoint import CHECKPOINT_STREAM_ID


async def _quiet(error: Exception) -> None:
    """Connection troubles end in NatsUnreachableError; nothing to log meanwhile."""


class _Body(msgspec.Struct):
    version: int
    position: int
    payload: dict[str, Any]


class NatsUnreachableError(Exception):
    """No NATS server of the URL answered: the published checkpoint cannot be read."""


async def published_anchor(url: str, subjects: Subjects) -> Anchor | None:
    """The last Checkpointed message on the ledger's stream, or None if none was published.

    Two attempts per server: a verification must end, where a service's client retries for
    ever (`ledger verify --nats` hung, deaf to Ctrl-C, with NATS down). The client counts
    attempts only when allowed more than zero, and tries again while it has not exceeded them."""
    try:
        client = await nats.connect(url, name="ledger-verify", allow_reconnect=False,
                                    max_reconnect_attempts=1, reconnect_time_wait=0.5,
                                    connect_timeout=5, error_cb=_quiet)
    except (OSError, NoServersError, nats.errors.Error) as error:
        raise NatsUnreachableError(f"no NATS server answered at {url}: {error}") from None
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
