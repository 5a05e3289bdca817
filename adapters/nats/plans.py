"""What turning a page of stored rows into messages looks up once: per topic, how its stored
JSON becomes a body (`Plan`); per stream, its key, account number and id text (`Page`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper

from adapters.nats.bodies import times_of
from adapters.pd_mapper import PersonalDataMapper, SealedShape
from adapters.transcoder import MsgspecMapper
from projections.payload import names_of


@dataclass(frozen=True)
class Plan:
    """How the stored JSON of one topic becomes a body: its type name, payload names, time
    fields, class version, and sealed shape (None when it seals nothing)."""

    name: str
    names: dict[str, str]
    times: tuple[str, ...]
    version: int
    sealed: SealedShape | None


@dataclass
class Page:
    """What one page looks up once per stream (keyed by the id's int: cheap to hash)."""

    ciphers: dict[tuple[int, int], AESGCM | None] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)
    texts: dict[int, str] = field(default_factory=dict)

    def text(self, stream_id: UUID) -> str:
        """The stream id as text."""
        text = self.texts.get(stream_id.int)
        return text if text is not None else self.texts.setdefault(stream_id.int, str(stream_id))


def plan_of(mapper: Mapper[UUID], topic: str) -> Plan | None:
    """The topic's plan; None when its events need the mapper (see bodies.py)."""
    if not isinstance(mapper, MsgspecMapper) or mapper.cipher or mapper.compressor:
        return None
    cls, shape = mapper.shape(topic)
    names = names_of(cls)
    if names is None:
        return None
    sealed = shape if isinstance(shape, SealedShape) and isinstance(
        mapper, PersonalDataMapper) else None
    return Plan(cls.__qualname__.rsplit(".", 1)[-1], names, times_of(cls),
                shape.class_version, sealed)
