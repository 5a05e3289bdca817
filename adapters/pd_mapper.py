"""The stored-event mapper that keeps personal data encrypted with the account's data key.

An event's personal fields (`personal_fields`, domain/personal_data.py) that hold a value are
taken out of its state, encoded together, encrypted with AES-GCM under the stream's key (a
random nonce; the stream id and version as associated data, so a sealed value cannot be moved
to another event) and stored as one field `sealed` = {k: key generation, b: nonce+ciphertext}.
Hashes of the stored bytes (the event chain) therefore cover the encrypted form.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import typing
from collections.abc import Iterable
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import register_topic, resolve_topic

from adapters.pd_keys import PdKeyStore
from adapters.settings import get_settings
from adapters.transcoder import _IDENTITY_FIELDS, EventShape, MsgspecMapper
from domain.personal_data import erased_fields, personal_fields

SEALED = "sealed"
_encoder = msgspec.json.Encoder()


class Sealed(msgspec.Struct, frozen=True):
    """Personal fields as stored: the key generation and nonce + ciphertext (base64 in JSON)."""

    k: int
    b: bytes


class SealedShape(EventShape):
    """An event class's stored shape with its personal fields sealed (or, if older, plain)."""

    def __init__(self, cls: type[Any]) -> None:
        super().__init__(cls)
        self.personal = personal_fields(cls)
        self.erased = erased_fields(cls)
        hints = typing.get_type_hints(cls)
        fields: list[tuple[Any, ...]] = [
            (f.name, hints[f.name]) if f.name not in self.personal
            else (f.name, hints[f.name] | msgspec.UnsetType, msgspec.UNSET)
            for f in dataclasses.fields(cls) if f.name not in _IDENTITY_FIELDS
        ]
        fields += [("class_version", int, 1), (SEALED, Sealed | None, None)]
        self.struct = msgspec.defstruct(f"{cls.__name__}Sealed", fields, kw_only=True)
        self.names = tuple(n for n, *_ in fields)
        self.decoder = msgspec.json.Decoder(self.struct)
        secret = [(n, hints[n] | msgspec.UnsetType, msgspec.UNSET) for n in self.personal]
        self.secret = msgspec.json.Decoder(
            msgspec.defstruct(f"{cls.__name__}Personal", secret, kw_only=True))


@cache
def sealed_shape_of(topic: str) -> tuple[type[Any], EventShape]:
    """The event class of a topic and its stored shape (sealed if it has personal fields)."""
    cls = resolve_topic(topic)
    return cls, SealedShape(cls) if personal_fields(cls) else EventShape(cls)


class PersonalDataMapper(MsgspecMapper):
    """MsgspecMapper that seals personal fields with the key of the event's stream."""

    keys: ClassVar[PdKeyStore]

    def shape(self, topic: str) -> tuple[type[Any], EventShape]:
        """The sealed shape of event classes with personal fields."""
        return sealed_shape_of(topic)

    def seal(
        self, cls: type[Any], stream_id: UUID, version: int, state: dict[str, Any]
    ) -> dict[str, Any]:
        """Take the personal fields that hold a value out of the state, encrypted."""
        secret = {n: state.pop(n) for n in personal_fields(cls) if state.get(n) is not None}
        if secret:
            key = self.keys.for_write(stream_id)
            assert key.cipher is not None
            nonce = os.urandom(12)
            sealed = key.cipher.encrypt(nonce, _encoder.encode(secret), _aad(stream_id, version))
            state[SEALED] = Sealed(k=key.generation, b=nonce + sealed)
        return state

    def unseal(
        self, cls: type[Any], stored_event: StoredEvent, state: dict[str, Any]
    ) -> dict[str, Any]:
        """Put the personal fields back: decrypted, or erased markers if the key is gone."""
        sealed: Sealed | None = state.pop(SEALED, None)
        if sealed is None:  # stored before sealing, or nothing personal had a value
            return state
        shape = self.shape(stored_event.topic)[1]
        assert isinstance(shape, SealedShape)
        stream_id = _uuid(stored_event.originator_id)
        cipher = self.keys.for_read(stream_id, sealed.k)
        if cipher is None:
            values = shape.erased
        else:
            aad = _aad(stream_id, stored_event.originator_version)
            plain = cipher.decrypt(sealed.b[:12], sealed.b[12:], aad)
            values = msgspec.structs.asdict(shape.secret.decode(plain))
        for name in shape.personal:
            if state[name] is msgspec.UNSET:
                if values[name] is msgspec.UNSET:
                    raise ValueError(f"sealed personal data lacks {name}")
                state[name] = values[name]
        return state


def _aad(stream_id: UUID, version: int) -> bytes:
    return stream_id.bytes + version.to_bytes(8, "big")


def _uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


_BOUND: dict[str, str] = {}


def mapper_topic(url: str) -> str:
    """The MAPPER_TOPIC of a database: a PersonalDataMapper bound to that database's keys.

    The library builds the mapper from its topic alone, so each database gets a subclass
    holding its key store, registered under a topic of its own (one per process and URL)."""
    if url not in _BOUND:
        digest = hashlib.sha256(url.encode()).hexdigest()[:16]
        topic = f"{__name__}:PersonalDataMapper_{digest}"
        bound = type(f"PersonalDataMapper_{digest}", (PersonalDataMapper,),
                     {"keys": PdKeyStore(url, get_settings().pd_key_cache_seconds)})
        register_topic(topic, bound)
        _BOUND[url] = topic
    return _BOUND[url]


def key_store(url: str) -> PdKeyStore:
    """The key store the mappers of a database use."""
    store: PdKeyStore = resolve_topic(mapper_topic(url)).keys
    return store


def preload_keys(mapper: Any, events: Iterable[tuple[UUID, str]]) -> None:
    """Load in one query the keys a page of (stream id, topic) stored events is sealed with.

    Replays decode thousands of accounts' events; asking the key store once per account on
    first sight made that ten times slower than a raw scan. Other mappers need no keys."""
    keys = getattr(mapper, "keys", None)
    if isinstance(keys, PdKeyStore):
        keys.preload({stream for stream, topic in events
                      if isinstance(sealed_shape_of(topic)[1], SealedShape)})
