"""msgspec encoding of stored events, decoded into typed fields per event class.

msgspec writes UUID, datetime and Decimal as plain strings, so decoding without types would
return `str`; the mapper knows each stored event's topic and decodes into a msgspec type built
from the event class's type hints, which is also what makes decoding fast (STACK-NOTES.md).
"""

from __future__ import annotations

import dataclasses
import typing
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import get_topic, resolve_topic

_IDENTITY_FIELDS = frozenset({"originator_id", "originator_version"})
_Event = DomainEventProtocol[UUID]  # subscripted once: per event it cost 2% of a replay


class MsgspecTranscoder(Transcoder):
    """Encodes plain objects as JSON with msgspec; decoding is untyped (dicts, lists, str)."""

    def __init__(self) -> None:
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder()

    def encode(self, obj: Any) -> bytes:
        """JSON bytes of obj; raises TypeError for what JSON cannot hold."""
        try:
            return self._encoder.encode(obj)
        except (msgspec.EncodeError, TypeError) as error:
            raise TypeError(str(error)) from error

    def decode(self, data: bytes) -> Any:
        """The plain object the bytes hold."""
        return self._decoder.decode(data)


class EventShape:
    """The typed shape of one event class's stored state, and its decoder."""

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        hints = typing.get_type_hints(cls)
        fields = [
            (f.name, hints[f.name]) for f in dataclasses.fields(cls)
            if f.name not in _IDENTITY_FIELDS
        ]
        fields.append(("class_version", int, 1))  # type: ignore[arg-type]
        self.struct = msgspec.defstruct(f"{cls.__name__}State", fields, kw_only=True)
        self.names = tuple(n for n, *_ in fields)
        self.decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(self.struct)
        self.class_version: int = getattr(cls, "class_version", 1)

    def decode(self, data: bytes) -> dict[str, Any]:
        """The event state with every field in its declared type."""
        try:
            state = self.decoder.decode(data)
        except msgspec.ValidationError:
            return self._upcast(data)
        if state.class_version < self.class_version:
            return self._upcast(data)
        return msgspec.structs.asdict(state)  # the fields in `names` order, built in C

    def _upcast(self, data: bytes) -> dict[str, Any]:
        """Older stored shapes go through the class's upcast_vN_vN+1 methods first."""
        state = msgspec.json.decode(data)
        version = state.pop("class_version", 1)
        while version < self.class_version:
            getattr(self.cls, f"upcast_v{version}_v{version + 1}")(state)
            version += 1
        typed = msgspec.convert(state, self.struct, strict=False)
        return {n: getattr(typed, n) for n in self.names}


@cache
def shape_of(topic: str) -> tuple[type[Any], EventShape]:
    """The event class of a topic and its stored shape, built once per topic."""
    cls = resolve_topic(topic)
    return cls, EventShape(cls)


class MsgspecMapper(Mapper[UUID]):
    """Maps domain events to stored events and back with msgspec, typed per topic."""

    def __init__(self, transcoder: Transcoder | None = None, **kwargs: Any) -> None:
        super().__init__(transcoder or MsgspecTranscoder(), **kwargs)
        self._encoder = msgspec.json.Encoder()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """The event's state as msgspec JSON, keyed by its topic."""
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        state = self.seal(type(domain_event), originator_id, originator_version, state)
        data = self._encoder.encode(state)
        if self.compressor:
            data = self.compressor.compress(data)
        if self.cipher:
            data = self.cipher.encrypt(data)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=data,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """The domain event, its fields decoded into their declared types."""
        cls, shape = self.shape(stored_event.topic)
        data = stored_event.state
        try:
            if self.cipher:
                data = self.cipher.decrypt(data)
            if self.compressor:
                data = self.compressor.decompress(data)
            state = self.unseal(cls, stored_event, shape.decode(data))
        except Exception as error:
            raise MapperDeserialisationError(
                f"cannot decode {stored_event.topic} of {stored_event.originator_id} "
                f"v{stored_event.originator_version}: {error}"
            ) from error
        state.pop("class_version", None)
        origin = stored_event.originator_id
        state["originator_id"] = origin if isinstance(origin, UUID) else UUID(str(origin))
        state["originator_version"] = stored_event.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return typing.cast(_Event, event)

    def shape(self, topic: str) -> tuple[type[Any], EventShape]:
        """The event class of a topic and the shape its state is stored in."""
        return shape_of(topic)

    def seal(
        self, cls: type[Any], stream_id: UUID, version: int, state: dict[str, Any]
    ) -> dict[str, Any]:
        """The state as stored; a subclass may encrypt fields (adapters/pd_mapper.py)."""
        return state

    def unseal(
        self, cls: type[Any], stored_event: StoredEvent, state: dict[str, Any]
    ) -> dict[str, Any]:
        """The state as the event holds it: the inverse of `seal`."""
        return state
