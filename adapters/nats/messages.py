"""How a stored event travels on NATS: its id, its subject, its JSON body."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid5

import msgspec

from projections.base import LoggedEvent, camelized, event_time, payload


def event_id(logged: LoggedEvent) -> UUID:
    """The event's id: fixed by its stream and version, so a republish has the same id."""
    return uuid5(logged.event.originator_id, f"v{logged.event.originator_version}")


Id = TypeVar("Id", UUID, str)
Time = TypeVar("Time", datetime, msgspec.Raw)


class Message(msgspec.Struct, Generic[Id, Time], frozen=True, rename="camel"):
    """The body of a ledger.events.* message (API.md). The publisher's fast paths fill the
    same fields with the id as text (bodies.py) and the times already JSON (stored_pages.py)."""

    id: Id
    type: str
    account_number: str
    stream_id: UUID
    version: int
    position: int
    occurred_at: Time
    recorded_at: Time
    payload: dict[str, Any]


EventMessage = Message[UUID, datetime]
"""The message as built from a decoded event (the reference path)."""


def event_message(logged: LoggedEvent) -> EventMessage:
    """The message for a logged event."""
    event = logged.event
    return EventMessage(
        id=event_id(logged), type=logged.type, account_number=logged.account_number,
        stream_id=event.originator_id, version=event.originator_version,
        position=logged.position, occurred_at=event_time(event),
        recorded_at=event.timestamp, payload=camelized(payload(event)),
    )


_encoder = msgspec.json.Encoder()


def encode(message: EventMessage) -> bytes:
    """JSON bytes of a message."""
    return _encoder.encode(message)
