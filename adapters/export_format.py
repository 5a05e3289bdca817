"""The NDJSON export: one event a line with its hashes, then one trailer line with the proof.

Hashes are hex; the stored state is base64 of the bytes exactly as stored (encrypted personal
data stays encrypted), so the file alone recomputes every hash.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from adapters.checkpoint_check import Anchor
from domain.chain import Head, Step


class ExportedEvent(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """One stored event and its link in the chain."""

    stream_id: UUID
    version: int
    position: int
    topic: str
    state: bytes
    prev_hash: str
    hash: str
    recorded_at: datetime


class ExportedHead(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A stream's head as a checkpoint summed it up."""

    stream_id: UUID
    version: int
    hash: str

    @classmethod
    def of(cls, head: Head) -> ExportedHead:
        """From the domain's head."""
        return cls(stream_id=head.stream_id, version=head.version, hash=head.hash.hex())

    def head(self) -> Head:
        """Back to the domain's head."""
        return Head(self.stream_id, self.version, bytes.fromhex(self.hash))


class ProofStep(msgspec.Struct, frozen=True, kw_only=True):
    """A sibling on the path to the root, and whether it is on the left."""

    hash: str
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


encoder = msgspec.json.Encoder()
event_decoder = msgspec.json.Decoder(ExportedEvent)
trailer_decoder = msgspec.json.Decoder(Trailer)
TRAILER_START = b'{"checkpoint"'
"""How the trailer line begins (an event line begins with its stream id)."""
