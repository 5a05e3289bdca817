"""Checks a checkpoint against the events: its root, and each head it sums up."""

from __future__ import annotations

from uuid import UUID

import msgspec

from adapters.chain_check import Break, ChainChecker
from domain.chain import Head
from domain.checkpoint import CHECKPOINT_STREAM_ID


class Anchor(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """A checkpoint to hold the log against: from the log itself, from NATS, or from a file."""

    root: str
    position: int
    """The last log position its heads include."""
    streams: int
    events: int
    version: int
    """Its version in the checkpoint stream."""
    event_position: int | None
    source: str = "log"


def check_anchor(
    checker: ChainChecker, anchor: Anchor, root: bytes, heads: list[Head], log_end: int,
    streams: set[UUID] | None = None,
) -> list[Break]:
    """`root` is what the claimed `heads` sum up to; each head of `streams` (all for None)
    must be what the events recompute to at that version."""
    if root.hex() != anchor.root:
        return [_broken(anchor, _why(anchor, log_end), root.hex())]
    found = []
    for head in heads:
        if streams is not None and head.stream_id not in streams:
            continue
        seen = checker.seen.get((head.stream_id.bytes, head.version))
        if seen is None:
            found.append(Break(
                stream_id=head.stream_id, version=head.version, position=None,
                problem=f"checkpoint of position {anchor.position} names this head, which the"
                        " events lack (deleted or tail truncated)",
                expected=head.hash.hex(), found=None))
        elif seen != head.hash:
            found.append(Break(
                stream_id=head.stream_id, version=head.version, position=None,
                problem=f"differs from the head checkpoint of position {anchor.position}"
                        " summed up", expected=head.hash.hex(), found=seen.hex()))
    return found


def _why(anchor: Anchor, log_end: int) -> str:
    if log_end < anchor.position:
        return (f"checkpoint ({anchor.source}) covers position {anchor.position} but the log"
                f" ends at {log_end}: its tail was cut")
    return (f"checkpoint ({anchor.source}) of position {anchor.position} does not match the"
            " heads the chain holds there")


def _broken(anchor: Anchor, problem: str, found: str) -> Break:
    return Break(stream_id=CHECKPOINT_STREAM_ID, version=anchor.version,
                 position=anchor.event_position, problem=problem, expected=anchor.root,
                 found=found)
