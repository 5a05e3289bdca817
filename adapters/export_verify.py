"""`ledger verify --file`: an export checked on its own, with no database, on anyone's machine."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple
from uuid import UUID

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from adapters.chain_check import Break, ChainChecker, Row
from adapters.checkpoint_check import check_anchor
from adapters.export_format import (
    SIGNATURE_START,
    TRAILER_START,
    ExportSignature,
    Trailer,
    event_decoder,
    signature_decoder,
    trailer_decoder,
)
from adapters.export_signing import SigningKeyError, key_id, public_key, signature_problem
from adapters.verify import Verdict
from domain.chain import Head, merkle_root, root_of_proof
from domain.checkpoint import CHECKPOINT_STREAM_ID


class ExportFileError(ValueError):
    """The file is not an export: a line that is no exported event, or a malformed trailer."""


def verify_file(
    path: Path, root: str | None = None, progress: Callable[[int], object] | None = None,
    public_keys: Sequence[Ed25519PublicKey] = (),
) -> Verdict:
    """Recompute every chain in the file, check the checkpoint proof and the signature.

    `root`: a checkpoint root the auditor holds from elsewhere (e.g. NATS) that must match;
    `public_keys`: the ledger's keys the auditor holds, one of which must have signed it."""
    tail = _tail(path)
    trailer = tail.trailer
    checker = ChainChecker()
    claimed = _claimed(trailer)
    checker.wanted = {(h.stream_id.bytes, h.version) for h in claimed}
    with path.open("rb") as file:
        lines = _Lines(file, checker, trailer is None or not trailer.complete)
        checker.feed(lines, progress)
    breaks = checker.ordered_breaks()
    if trailer is None:
        breaks.append(_cut_short(lines.last))
    else:
        breaks += _check_root(trailer, root)
        if trailer.checkpoint is not None and trailer.proof is not None:
            breaks += _check_proof(checker, trailer, claimed, lines.first)
    breaks += _check_signature(path, tail, public_keys)
    anchors = [] if trailer is None or trailer.checkpoint is None else [trailer.checkpoint]
    return Verdict(events=checker.events, streams=len(checker.heads), pending=0,
                   anchors=anchors, breaks=breaks, signature=_signed(tail, public_keys))


class _Lines:
    """The file's event lines as checker rows; seeds streams that start past version 1."""

    def __init__(self, lines: IO[bytes], checker: ChainChecker, seed: bool) -> None:
        self.lines, self.checker, self.seed = lines, checker, seed
        self.first: dict[UUID, int] = {}
        self.last: tuple[UUID, int, int | None] = (CHECKPOINT_STREAM_ID, 0, None)

    def __iter__(self) -> Iterator[Row]:
        for number, line in enumerate(self.lines, start=1):
            if line.startswith((TRAILER_START, SIGNATURE_START)):
                continue
            try:
                event = event_decoder.decode(line)
            except msgspec.DecodeError as error:
                raise ExportFileError(f"line {number} is not an exported event: {error}") \
                    from None
            sid, version = event.stream_id.bytes, event.version
            prev, digest = bytes.fromhex(event.prev_hash), bytes.fromhex(event.hash)
            if event.stream_id not in self.first:
                self.first[event.stream_id] = version
                if self.seed and version > 1:
                    self.checker.seed(sid, version - 1, prev)
            self.last = (event.stream_id, version, event.position)
            yield (event.position, sid, version, event.topic, event.state, sid, version, prev,
                   digest)


class _Tail(NamedTuple):
    """The file's trailer (None: cut short) and signature line (None: not signed)."""

    trailer: Trailer | None
    signature: ExportSignature | None
    signed_bytes: int
    """How many bytes the signature covers: the file up to its last line."""


def _tail(path: Path) -> _Tail:
    with path.open("rb") as file:
        file.seek(0, os.SEEK_END)
        size = file.tell()
        file.seek(max(0, size - 64 * 1024 * 1024))  # the trailer of --all holds every head
        data = file.read()
    kept = data.rstrip(b"\n")
    *_, before, last = [b"", b"", *kept.rsplit(b"\n", 2)]
    signature = None
    if last.startswith(SIGNATURE_START):
        signature = _decoded(signature_decoder, last, "the last line is no signature line")
        last = before
    trailer = (_decoded(trailer_decoder, last, "the last line is no export trailer")
               if last.startswith(TRAILER_START) else None)
    signed = size - (len(data) - len(kept)) - len(kept.rsplit(b"\n", 1)[-1])
    return _Tail(trailer, signature, signed)


def _decoded(decoder: msgspec.json.Decoder[Any], line: bytes, what: str) -> Any:
    try:
        return decoder.decode(line)
    except msgspec.DecodeError as error:
        raise ExportFileError(f"{what}: {error}") from None


def _check_signature(path: Path, tail: _Tail,
                     public_keys: Sequence[Ed25519PublicKey]) -> list[Break]:
    """A signature that does not hold, or none where the auditor holds a key, is a break."""
    if tail.signature is None:
        return [_file_break("the file is not signed", "a signature line", None)] \
            if public_keys else []
    digest = hashlib.sha256()
    with path.open("rb") as file:
        left = tail.signed_bytes
        while left > 0 and (chunk := file.read(min(left, 2**20))):
            digest.update(chunk)
            left -= len(chunk)
    problem = signature_problem(tail.signature, digest.digest(), list(public_keys))
    return [] if problem is None else [_file_break(*problem)]


def _file_break(problem: str, expected: str | None, found: str | None) -> Break:
    return Break(stream_id=CHECKPOINT_STREAM_ID, version=0, position=None, problem=problem,
                 expected=expected, found=found, line="the last line (the signature)")


def _signed(tail: _Tail, public_keys: Sequence[Ed25519PublicKey]) -> str:
    """Which key signed: the id of the public key in the line, never the id it claims."""
    if tail.signature is None:
        return "not signed"
    try:
        signer = key_id(public_key(tail.signature.public_key, "the signature line"))
    except SigningKeyError:
        return "signed with a public key that is no Ed25519 key"
    if not public_keys:
        held = "give --public-key to check it is the ledger's"
    elif signer in {key_id(k) for k in public_keys}:
        held = "a key you hold"
    else:
        held = "not a key you hold"
    return f"signed with key {signer} ({held})"


def _claimed(trailer: Trailer | None) -> list[Head]:
    if trailer is None or trailer.proof is None:
        return []
    if trailer.proof.heads is not None:
        return [h.head() for h in trailer.proof.heads]
    return [] if trailer.proof.leaf is None else [trailer.proof.leaf.head()]


def _check_root(trailer: Trailer, root: str | None) -> list[Break]:
    """The root the auditor holds must be the file's checkpoint, and that checkpoint must
    vouch for the file's events (a proof): else `--root` would have checked nothing."""
    if root is None:
        return []
    anchor = trailer.checkpoint
    if anchor is None:
        return [Break(stream_id=CHECKPOINT_STREAM_ID, version=0, position=None,
                      problem="the file has no checkpoint to hold the root you hold against"
                      " (its events came after the last one: export again after the next)",
                      expected=root, found=None)]
    if root != anchor.root:
        problem, found = "the file's checkpoint is not the one you hold", anchor.root
    elif trailer.proof is None:
        problem, found = ("the file holds no proof that its events are under the checkpoint"
                          " you hold (they came after it: export again after the next)", None)
    else:
        return []
    return [Break(stream_id=CHECKPOINT_STREAM_ID, version=anchor.version,
                  position=anchor.event_position, problem=problem, expected=root, found=found)]


def _check_proof(checker: ChainChecker, trailer: Trailer, claimed: list[Head],
                 first: dict[UUID, int]) -> list[Break]:
    assert trailer.checkpoint is not None and trailer.proof is not None
    anchor, proof = trailer.checkpoint, trailer.proof
    if proof.leaf is not None:
        found_root = root_of_proof(proof.leaf.head(), [s.step() for s in proof.path])
    else:
        found_root = merkle_root(claimed)
    in_range = {h.stream_id for h in claimed if trailer.complete or _reaches(checker, first, h)}
    return check_anchor(checker, anchor, found_root, claimed, 2**62, in_range)


def _reaches(checker: ChainChecker, first: dict[UUID, int], head: Head) -> bool:
    """The file holds the stream from at or before this head and goes past it or to it."""
    start = first.get(head.stream_id)
    last = checker.heads.get(head.stream_id.bytes)
    return start is not None and last is not None and start - 1 <= head.version <= last[0]


def _cut_short(last: tuple[UUID, int, int | None]) -> Break:
    stream_id, version, position = last
    return Break(stream_id=stream_id, version=version, position=position,
                 problem="the file ends here, without its checkpoint line: it was cut short")
