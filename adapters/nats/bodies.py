"""The publisher's fast path to a message body, byte for byte the body `messages.py` defines.

The reference path turns an event's fields into builtins and camelizes every key of every nested
value in Python, which costs as much as publishing it; here only the top-level names are
renamed, once per class (projections/payload.py), and msgspec writes the values itself. Other
classes (a dict field, `Any`) keep the reference path.
"""

from __future__ import annotations

import hashlib
import typing
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from adapters.nats.messages import Message, event_message
from projections.base import LoggedEvent, event_time
from projections.base import event_type as type_name
from projections.payload import names_of

_encoder = msgspec.json.Encoder()
_TIMES: dict[type[Any], tuple[str, ...]] = {}
_TIME_FIELDS = ("occurred_at", "received_at", "at", "timestamp")  # event_time's order
_DATETIME = (datetime, datetime | None)


class Body(msgspec.Struct, frozen=True, gc=False):
    """One event's message id (its event id as text) and JSON body."""

    msg_id: str
    json: bytes


def body(logged: LoggedEvent) -> Body:
    """The message id and body of a logged event (API.md)."""
    event = logged.event
    stream_id: UUID = event.originator_id
    version: int = event.originator_version
    msg_id = event_id_text(stream_id, version)
    names = names_of(type(event))
    if names is None:
        return Body(msg_id, _encoder.encode(event_message(logged)))
    fields_ = vars(event)
    message: Message[str, datetime] = Message(  # the id as text
        id=msg_id, type=type_name(event), account_number=logged.account_number,
        stream_id=stream_id, version=version, position=logged.position,
        occurred_at=event_time(event), recorded_at=event.timestamp,
        payload={names[k]: v for k, v in fields_.items() if k in names},
    )
    return Body(msg_id, _encoder.encode(message))


def event_id_text(stream_id: UUID, version: int) -> str:
    """str(uuid5(stream_id, f"v{version}")) without building the UUID object."""
    h = hashlib.sha1(stream_id.bytes + b"v%d" % version).hexdigest()
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant}{h[17:20]}-{h[20:32]}"


def times_of(cls: type[Any]) -> tuple[str, ...]:
    """The fields event_time may take the time from (typed datetime), in its order."""
    if cls not in _TIMES:
        hints = typing.get_type_hints(cls)
        _TIMES[cls] = tuple(n for n in _TIME_FIELDS if hints.get(n) in _DATETIME)
    return _TIMES[cls]
