"""The publisher's fast path to a message body, byte for byte the body `messages.py` defines.

The reference path turns an event's fields into builtins and camelizes every key of every nested
value in Python, which costs as much as publishing it. For an event class whose field types
msgspec writes with no key to camelize below the top level (scalars, enums, camel-named structs,
sequences of those), only the top-level names need renaming: they are renamed once per class
and msgspec writes the values itself. Other classes (a dict field, `Any`) keep the reference path.
"""

from __future__ import annotations

import enum
import hashlib
import types
import typing
from dataclasses import fields
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

import msgspec

from adapters.nats.messages import event_message
from projections.base import LoggedEvent, _camel, event_time
from projections.base import event_type as type_name

_LEAVES = (str, int, float, bool, bytes, UUID, datetime, date, time, Decimal, type(None))
_SEQUENCES = (tuple, list, set, frozenset)
_NOT_PAYLOAD = frozenset({"originator_id", "originator_version", "originator_topic"})
_encoder = msgspec.json.Encoder()
_NAMES: dict[type[Any], dict[str, str] | None] = {}
_TIMES: dict[type[Any], tuple[str, ...]] = {}
_TIME_FIELDS = ("occurred_at", "received_at", "at", "timestamp")  # event_time's order
_DATETIME = (datetime, datetime | None)


class _Message(msgspec.Struct, frozen=True, rename="camel"):
    """EventMessage (messages.py) as this path fills it: the same fields, the id as text."""

    id: str
    type: str
    account_number: str
    stream_id: UUID
    version: int
    position: int
    occurred_at: datetime
    recorded_at: datetime
    payload: dict[str, Any]


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
    message = _Message(
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


def names_of(cls: type[Any]) -> dict[str, str] | None:
    """Each payload field's camelCase name in field order, or None for the reference path."""
    return _NAMES[cls] if cls in _NAMES else _NAMES.setdefault(cls, _top_level_names(cls))


def times_of(cls: type[Any]) -> tuple[str, ...]:
    """The fields event_time may take the time from (typed datetime), in its order."""
    if cls not in _TIMES:
        hints = typing.get_type_hints(cls)
        _TIMES[cls] = tuple(n for n in _TIME_FIELDS if hints.get(n) in _DATETIME)
    return _TIMES[cls]


def _top_level_names(cls: type[Any]) -> dict[str, str] | None:
    """Each payload field's camelCase name, or None when a value needs the reference path."""
    hints = typing.get_type_hints(cls)
    names = [f.name for f in fields(cls) if f.name not in _NOT_PAYLOAD]
    if not all(_plain(hints[name]) for name in names):
        return None
    return {name: _camel(name) for name in names}


def _plain(tp: Any) -> bool:
    """Whether msgspec writes a value of this type with no key the reference would rename."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Annotated:
        return _plain(args[0])
    if origin in (typing.Union, types.UnionType) or origin in _SEQUENCES:
        return all(_plain(a) for a in args if a is not Ellipsis)
    if origin is typing.Literal:
        return True
    if not isinstance(tp, type) or origin is not None:
        return False
    if issubclass(tp, msgspec.Struct):
        hints = typing.get_type_hints(tp)
        return all(_camel(n) == n for n in tp.__struct_encode_fields__) and all(
            _plain(hints[n]) for n in tp.__struct_fields__)
    return issubclass(tp, _LEAVES) or issubclass(tp, enum.Enum)
