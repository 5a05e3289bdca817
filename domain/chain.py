"""Hash chains and Merkle checkpoints: why a changed, removed or re-ordered event shows.

Each stored event's hash covers its predecessor's hash and a canonical msgspec encoding of
(stream id, version, topic, stored state bytes). The state enters as stored, so personal data
enters in its encrypted form and erasing a key (crypto-shredding) never breaks a chain.
A checkpoint is the Merkle root over every stream's head, so a truncated tail shows too.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

import msgspec

GENESIS = bytes(32)
"""The predecessor hash of every stream's first event."""

_encoder = msgspec.msgpack.Encoder()
_sha256 = hashlib.sha256


class Link(msgspec.Struct, array_like=True, frozen=True):
    """What an event's hash covers, in this fixed field order (never reorder or extend)."""

    stream_id: bytes
    """The stream id's 16 bytes (RFC 4122 order)."""
    version: int
    topic: str
    state: bytes


class Head(msgspec.Struct, array_like=True, frozen=True):
    """A stream's last event as a checkpoint sees it: one leaf of the Merkle tree."""

    stream_id: UUID
    version: int
    hash: bytes


class Step(msgspec.Struct, frozen=True):
    """One step of a Merkle proof: the sibling hash and whether it sits on the left."""

    sibling: bytes
    left: bool


def link_hash(prev: bytes, stream_id: bytes, version: int, topic: str, state: bytes) -> bytes:
    """The hash of an event chained after `prev` (`stream_id`: the id's 16 bytes)."""
    return _sha256(prev + encode_link((stream_id, version, topic, state))).digest()


encode_link = _encoder.encode
"""Canonical bytes of (stream id bytes, version, topic, state): a tuple encodes exactly as
`Link` does (an array in field order) without building one; replay loops call it inline."""


def leaf_hash(head: Head) -> bytes:
    """A leaf: domain-separated from inner nodes, so a node cannot pass for a leaf."""
    leaf = (head.stream_id.bytes, head.version, head.hash)
    return hashlib.sha256(b"\x00" + _encoder.encode(leaf)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _level_up(level: list[bytes]) -> list[bytes]:
    """Pair neighbours; an odd last node is carried up unchanged."""
    paired = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
    return paired + level[-1:] if len(level) % 2 else paired


def ordered(heads: list[Head]) -> list[Head]:
    """Heads in the one order every party uses: by stream id bytes."""
    return sorted(heads, key=lambda h: h.stream_id.bytes)


def merkle_root(heads: list[Head]) -> bytes:
    """The root over all streams' heads (GENESIS for no streams)."""
    level = [leaf_hash(h) for h in ordered(heads)]
    if not level:
        return GENESIS
    while len(level) > 1:
        level = _level_up(level)
    return level[0]


def merkle_proof(heads: list[Head], stream_id: UUID) -> tuple[Head, list[Step]]:
    """The head of one stream and the path that leads from its leaf to the root."""
    sorted_heads = ordered(heads)
    index = next(i for i, h in enumerate(sorted_heads) if h.stream_id == stream_id)
    head, level, path = sorted_heads[index], [leaf_hash(h) for h in sorted_heads], []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(Step(sibling=level[sibling], left=sibling < index))
        level, index = _level_up(level), index // 2
    return head, path


def root_of_proof(head: Head, path: list[Step]) -> bytes:
    """The root a proof leads to; it proves the head only if it equals the published root."""
    node = leaf_hash(head)
    for step in path:
        node = _node(step.sibling, node) if step.left else _node(node, step.sibling)
    return node
