"""`ledger export`: chained events as NDJSON, then the checkpoint that covers them and its proof."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime
from typing import IO, Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg import Connection, sql

from adapters.chain_store import CheckpointRecord, heads_at, latest_checkpoint
from adapters.checkpoint_check import Anchor
from adapters.export_format import (
    ExportedEvent,
    ExportedHead,
    Proof,
    ProofStep,
    Trailer,
    encoder,
)
from adapters.export_signing import ExportSigner
from adapters.log_scan import scan
from domain.chain import merkle_proof


def export(
    url: str, table: sql.Composable, mapper: Mapper[UUID], out: IO[bytes],
    stream_id: UUID | None = None, start: datetime | None = None, end: datetime | None = None,
    progress: Callable[[int], object] | None = None,
    on_lines: Callable[[list[ExportedEvent]], object] | None = None,
    signer: ExportSigner | None = None,
) -> Trailer:
    """Write the events (of one stream, or all) stored from `start` to `end`, the trailer,
    and with a `signer` the signature line; `on_lines` sees each batch of lines
    (adapters/export_audit.py: whose events they are)."""
    written = _Digesting(out)
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        count, last = 0, 0
        for batch in _batches(conn, table, stream_id):
            lines = _lines(batch, mapper, start, end)
            if on_lines is not None:
                on_lines(lines)
            for line in lines:
                written.write(encoder.encode(line) + b"\n")
                count, last = count + 1, line.position
            if progress is not None:
                progress(len(batch))
        covered = _before_next(conn, table, stream_id, last)
        trailer = _trailer(conn, stream_id, covered, count, start is None and end is None)
    written.write(encoder.encode(trailer) + b"\n")
    if signer is not None:
        written.write(encoder.encode(signer.sign(written.digest.digest())) + b"\n")
    return trailer


class _Digesting:
    """Writes through to the file, hashing every byte: what the signature line signs."""

    def __init__(self, out: IO[bytes]) -> None:
        self.out, self.digest = out, hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.out.write(data)


def _batches(
    conn: Connection[Any], table: sql.Composable, stream_id: UUID | None
) -> Any:
    """Stored events with their hashes: their own, or (stored before events carried them)
    the chain follower's; events with neither are not chained yet and wait for it."""
    where = sql.SQL("") if stream_id is None else sql.SQL(" AND e.originator_id = %s")
    query = sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
        " coalesce(e.prev_hash, c.prev_hash), coalesce(e.hash, c.hash) FROM {} e"
        " LEFT JOIN event_chain c ON c.position = e.notification_id"
        " WHERE coalesce(e.hash, c.hash) IS NOT NULL{} ORDER BY e.notification_id"
    ).format(table, where)
    return scan(conn, query, () if stream_id is None else (stream_id,))


def _lines(
    batch: list[tuple[Any, ...]], mapper: Mapper[UUID], start: datetime | None,
    end: datetime | None,
) -> list[ExportedEvent]:
    lines = []
    for position, sid, version, topic, state, prev, digest in batch:
        stored_at = _stored_at(mapper, StoredEvent(sid, version, topic, state))
        if (start is not None and stored_at < start) or (end is not None and stored_at > end):
            continue
        lines.append(ExportedEvent(
            stream_id=sid, version=version, position=position, topic=topic, state=state,
            prev_hash=prev.hex(), hash=digest.hex(), recorded_at=stored_at))
    return lines


def _before_next(
    conn: Connection[Any], table: sql.Composable, stream_id: UUID | None, last: int
) -> int | None:
    """The last position a checkpoint may cover so that the heads it names are in the file:
    just before the next event (of the stream) after the file's last one; None: no such."""
    where = sql.SQL("") if stream_id is None else sql.SQL(" AND originator_id = %s")
    row = conn.execute(sql.SQL("SELECT min(notification_id) FROM {} WHERE notification_id > %s"
                               "{}").format(table, where),
                       (last,) if stream_id is None else (last, stream_id)).fetchone()
    return None if row is None or row[0] is None else int(row[0]) - 1


class _Stamp(msgspec.Struct):
    timestamp: datetime


_stamp = msgspec.json.Decoder(_Stamp)


def _stored_at(mapper: Mapper[UUID], stored: StoredEvent) -> datetime:
    """The store time, read from the state as stored (no keys needed, so an erased account's
    events export too); through the mapper only if the whole state is enciphered."""
    try:
        return _stamp.decode(stored.state).timestamp
    except (msgspec.DecodeError, msgspec.ValidationError):
        event: Any = mapper.to_domain_event(stored)
        stamp: datetime = event.timestamp
        return stamp


def _trailer(
    conn: Connection[Any], stream_id: UUID | None, covered: int | None, count: int,
    complete: bool,
) -> Trailer:
    record = latest_checkpoint(conn, up_to=covered)
    if record is None:
        return Trailer(checkpoint=None, proof=None, complete=complete, events=count,
                       note="no checkpoint covers these events yet")
    heads = heads_at(conn, record.position)
    if stream_id is None:
        proof = Proof(heads=[ExportedHead.of(h) for h in heads])
    elif any(h.stream_id == stream_id for h in heads):
        leaf, path = merkle_proof(heads, stream_id)
        proof = Proof(leaf=ExportedHead.of(leaf),
                      path=[ProofStep(hash=s.sibling.hex(), left=s.left) for s in path])
    else:
        proof = None
    return Trailer(checkpoint=_anchor(record), proof=proof, complete=complete, events=count)


def _anchor(record: CheckpointRecord) -> Anchor:
    return Anchor(root=record.root.hex(), position=record.position, streams=record.streams,
                  events=record.events, version=record.event_version,
                  event_position=record.event_position, source="export")
