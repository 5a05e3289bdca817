"""The NDJSON export: one event a line with its hashes, one trailer line with the proof, then
(from `ledger export`) one line signing all of it.

Hashes are hex; the stored state is base64 of the bytes exactly as stored (encrypted personal
data stays encrypted), so the file alone recomputes every hash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec

from adapters.checkpoint_check import Anchor
from domain.chain import Head, Step

Hash = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$")]
"""A SHA-256 as 64 lower-case hex digits: a file holding anything else is refused by field."""


class ExportedEvent(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One stored event and its link in the chain."""

    stream_id: UUID
    version: int
    position: int
    topic: str
    state: bytes
    prev_hash: Hash
    hash: Hash
    recorded_at: datetime


class ExportedHead(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A stream's head as a checkpoint summed it up."""

    stream_id: UUID
    version: int
    hash: Hash

    @classmethod
    def of(cls, head: Head) -> ExportedHead:
        """From the domain's head."""
        return cls(stream_id=head.stream_id, version=head.version, hash=head.hash.hex())

    def head(self) -> Head:
        """Back to the domain's head."""
        return Head(self.stream_id, self.version, bytes.fromhex(self.hash))


class ProofStep(msgspec.Struct, frozen=True, kw_only=True):
    """A sibling on the path to the root, and whether it is on the left."""

    hash: Hash
    left: bool

    def step(self) -> Step:
        """Back to the domain's step."""
        return Step(sibling=bytes.fromhex(self.hash), left=self.left)


class Proof(msgspec.Struct, frozen=True, kw_only=True):
    """Either one stream's leaf and path, or every head the checkpoint summed up."""

    leaf: ExportedHead | None = None
    path: list[ProofStep] = []
    heads: list[ExportedHead] | None = None


class Trailer(msgspec.Struct, frozen=True, kw_only=True):
    """The last line: the checkpoint covering the exported events, and its proof."""

    checkpoint: Anchor | None
    proof: Proof | None
    complete: bool
    """Every event up to the checkpoint is in the file (no --from/--to)."""
    events: int
    note: str | None = None


class ExportSignature(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """The line after the trailer: an Ed25519 signature over the SHA-256 of every byte before
    it (adapters/export_signing.py)."""

    signature: str
    """base64; over "ledger export v1\n" and the 32 bytes of the digest."""
    algorithm: str = "Ed25519"
    public_key: str
    """base64 of the 32-byte public key that checks it."""
    key_id: str
    sha256: str
    """hex of the digest of the bytes before this line."""


encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(ExportedEvent)
trailer_decoder = msgspec.json.Decoder(Trailer)
signature_decoder = msgspec.json.Decoder(ExportSignature)
TRAILER_START = b'{"checkpoint"'
"""How the trailer line begins (an event line begins with its stream id)."""
SIGNATURE_START = b'{"signature"'
"""How the signature line, the last of a signed export, begins."""
