"""Recomputes hash chains from events in log order and names the first broken link of each stream.

No I/O: the database check and the export-file check feed it the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from hashlib import sha256
from typing import Any
from uuid import UUID

import msgspec

from domain.chain import GENESIS, encode_link

_START = (0, GENESIS)
NOT_CHAINED = "event not in the chain follower's record (inserted, or its link deleted)"
"""An event at or before the follower's position without a link of its own."""
HASH_DIFFERS = "the event's own hashes differ from the chain follower's record"
PREV_DIFFERS = "the event's own prev_hash differs from the chain follower's record"
"""Its hash agrees: only the predecessor's hash, in the event or in the link, was changed."""


class Break(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Where a chain is broken: the stream, version and log position, and the two hashes."""

    stream_id: UUID
    version: int
    position: int | None
    problem: str
    expected: str | None = None
    """What the chain (or the checkpoint) recorded."""
    found: str | None = None
    """What the events recompute to now."""
    line: str | None = None
    """A line of an export file, for what is wrong with the file rather than a stream (its
    signature); the stream is then the checkpoints' stream."""

    def describe(self) -> str:
        """One line for a person: where, what, expected and found."""
        where = self.line or f"stream {self.stream_id} version {self.version}"
        if self.position is not None and self.line is None:
            where += f" (position {self.position})"
        return (f"{where}: {self.problem}; expected {self.expected or '-'}, "
                f"found {self.found or '-'}")


Row = tuple[Any, ...]
"""(position, stream, version, topic, state, then the chain's link at that position: stream,
version, prev hash, hash; the four are None when the chain has nothing there). Stream ids are
their 16 bytes: hashed and compared in C, where UUID objects cost more than the hash."""


class ChainChecker:
    """Feeds on events in log order; keeps each stream's recomputed head and first break."""

    def __init__(self, chained_up_to: int | None = None) -> None:
        self.heads: dict[bytes, tuple[int, bytes]] = {}
        """Stream id bytes -> (version, hash) as recomputed from the events."""
        self.breaks: dict[bytes, Break] = {}
        self.events = 0
        self.pending = 0
        self.chained_up_to = chained_up_to
        """Events after this position are not chained yet (None: every event must be)."""
        self.wanted: set[tuple[bytes, int]] = set()
        """Heads that checkpoints name; their recomputed hashes go to `seen`."""
        self.seen: dict[tuple[bytes, int], bytes] = {}

    def feed(self, rows: Iterable[Row], progress: Callable[[int], object] | None = None,
             every: int = 20_000) -> None:
        """Events in log order, each with the link the chain recorded at its position.

        The replay's hot path: an intact link costs one hash and four compares, inline."""
        heads, wanted, seen, count, encode = self.heads, self.wanted, self.seen, 0, encode_link
        for row in rows:
            count += 1
            _, stream_id, version, topic, state, r_stream, r_version, _, r_hash = row
            prev_version, prev_hash = heads.get(stream_id, _START)
            digest = sha256(prev_hash + encode((stream_id, version, topic, state))).digest()
            heads[stream_id] = (version, digest)
            if wanted and (stream_id, version) in wanted:
                seen[stream_id, version] = digest
            if not (r_hash == digest and version == prev_version + 1 and r_version == version
                    and r_stream == stream_id):
                self._diagnose(row, prev_version, prev_hash, digest)
            if count % every == 0 and progress is not None:
                progress(every)
        if count % every and progress is not None:
            progress(count % every)  # the rest: a small log's bar read 0 events
        self.events += count

    def _diagnose(self, row: Row, prev_version: int, prev_hash: bytes, digest: bytes) -> None:
        stream_id = row[1]
        if stream_id not in self.breaks:
            problem = self._problem(row, prev_version, prev_hash, digest)
            if problem is not None:
                self.breaks[stream_id] = problem

    def _problem(self, row: Row, prev_version: int, prev_hash: bytes, digest: bytes
                 ) -> Break | None:
        position, stream, version, _, _, rec_stream, rec_version, rec_prev, rec_hash = row
        stream_id = UUID(bytes=stream)

        def broken(problem: str, expected: bytes | None, found: bytes | None) -> Break:
            return Break(stream_id=stream_id, version=version, position=position,
                         problem=problem, expected=_hex(expected), found=_hex(found))

        if rec_stream is None:
            if self.chained_up_to is not None and (position or 0) > self.chained_up_to:
                self.pending += 1
                return None
            return broken(NOT_CHAINED, None, digest)
        if (rec_stream, rec_version) != (stream, version):
            return Break(stream_id=UUID(bytes=rec_stream), version=rec_version, position=position,
                         problem=f"another event in its place ({stream_id} v{version}):"
                                 " events swapped or re-ordered",
                         expected=rec_hash.hex(), found=digest.hex())
        if version != prev_version + 1:
            return broken(f"version gap: version {prev_version + 1} expected here"
                          " (deleted or re-ordered)", rec_prev, prev_hash)
        problem = "predecessor changed" if rec_prev != prev_hash else "event changed"
        return broken(problem, rec_hash, digest)

    def seed(self, stream: bytes, version: int, digest: bytes) -> None:
        """Start a stream past its beginning (an export from a date): trust its first link."""
        self.heads[stream] = (version, digest)
        if (stream, version) in self.wanted:
            self.seen[stream, version] = digest

    def missing(self, position: int, stream_id: UUID, version: int, digest: bytes) -> None:
        """The chain has an event the log no longer has (deleted, or the tail truncated)."""
        current = self.breaks.get(stream_id.bytes)
        if current is None or (current.position or 0) > position:
            self.breaks[stream_id.bytes] = Break(
                stream_id=stream_id, version=version, position=position,
                problem="event missing from the log", expected=digest.hex(), found=None)

    def disagree(self, position: int, stream_id: UUID, version: int,
                 chained: tuple[bytes, bytes], own: tuple[bytes, bytes]) -> None:
        """The event's own (prev hash, hash) are not the ones the chain follower recorded for
        it: the report shows the field that differs, the hash first, so that a changed prev
        hash alone does not read as two equal hashes."""
        current = self.breaks.get(stream_id.bytes)
        if current is None or (current.position or 0) > position:
            prev_only = chained[1] == own[1] and chained[0] != own[0]
            problem, field = (PREV_DIFFERS, 0) if prev_only else (HASH_DIFFERS, 1)
            self.breaks[stream_id.bytes] = Break(
                stream_id=stream_id, version=version, position=position, problem=problem,
                expected=_hex(chained[field]), found=_hex(own[field]))

    def ordered_breaks(self) -> list[Break]:
        """Every stream's first break, earliest in the log first."""
        return sorted(self.breaks.values(), key=lambda b: b.position or 0)


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()
