"""`ledger verify`: recompute every chain from the events table and hold it against event_chain
and the last checkpoint (and any checkpoint published elsewhere, such as on NATS)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.persistence import Mapper, StoredEvent
from psycopg import Connection, sql
from psycopg.rows import tuple_row
from psycopg.types.string import ByteaBinaryLoader

from adapters.chain_check import Break, ChainChecker
from adapters.chain_store import chain_position, heads_at
from adapters.checkpoint_check import Anchor, check_anchor
from domain.chain import merkle_root
from domain.checkpoint import CHECKPOINT_STREAM_ID

Progress = Callable[[int], object]


class Verdict(msgspec.Struct, kw_only=True, rename="camel"):
    """What a verification found: counts, the checkpoints held against, every stream's break."""

    events: int
    streams: int
    pending: int
    """Events stored after the chain follower's position: not chained yet, not a fault."""
    anchors: list[Anchor]
    breaks: list[Break]
    signature: str | None = None
    """An export's signature, in words (adapters/export_verify.py); None for the database."""

    @property
    def intact(self) -> bool:
        """Nothing is broken."""
        return not self.breaks

    def describe(self, shown: int = 20) -> str:
        """For a person: intact, or the first broken link and (some of) the others."""
        held = "; ".join(f"checkpoint ({a.source}) of position {a.position}, root {a.root}"
                         for a in self.anchors) or "no checkpoint yet"
        if self.signature is not None:
            held += f"; {self.signature}"
        counts = f"{self.events} events in {self.streams} streams"
        if self.pending:
            counts += f", {self.pending} not chained yet"
        if self.intact:
            return f"intact: {counts}; {held}"
        lines = [f"BROKEN: {counts}; {held}",
                 f"first broken link: {self.breaks[0].describe()}"]
        lines += [f"  also: {b.describe()}" for b in self.breaks[1:shown]]
        return "\n".join(lines)


def verify_database(
    url: str, table: sql.Composable, mapper: Mapper[UUID], stream_id: UUID | None = None,
    anchors: list[Anchor] | None = None, progress: Progress | None = None,
) -> Verdict:
    """Check the whole log, or one stream, against its chain and checkpoints."""
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ  # one snapshot throughout
        checker = ChainChecker(chained_up_to=chain_position(conn))
        own = log_anchor(conn, table, mapper)
        held = [a for a in (own, *(anchors or [])) if a is not None]
        claimed = {a.position: heads_at(conn, a.position) for a in held}
        checker.wanted = {(h.stream_id.bytes, h.version) for hs in claimed.values() for h in hs
                          if stream_id is None or h.stream_id == stream_id}
        _feed(conn, checker, table, stream_id, progress)
        _missing(conn, checker, table, stream_id)
        _disagreeing(conn, checker, table, stream_id)
        log_end = _log_end(conn, table)
    only = None if stream_id is None else {stream_id}
    breaks = checker.ordered_breaks()
    for anchor in held:
        heads = claimed[anchor.position]
        breaks += check_anchor(checker, anchor, merkle_root(heads), heads, log_end, only)
    return Verdict(events=checker.events, streams=len(checker.heads), pending=checker.pending,
                   anchors=held, breaks=breaks)


def _feed(conn: Connection[Any], checker: ChainChecker, table: sql.Composable,
          stream_id: UUID | None, progress: Progress | None) -> None:
    """Every event with the link recorded at its position, in log order, streamed in binary
    chunks (the server sends while the client hashes) with stream ids as plain bytes."""
    where = sql.SQL("") if stream_id is None else sql.SQL(" WHERE e.originator_id = %(stream)s")
    query = sql.SQL(
        "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
        " {recorded} FROM {table} e LEFT JOIN event_chain c"
        " ON c.position = e.notification_id{where} ORDER BY e.notification_id"
    ).format(recorded=_RECORDED, table=table, where=where)
    chained = 2**62 if checker.chained_up_to is None else checker.chained_up_to
    params = {"chained": chained, "stream": stream_id}
    with conn.cursor(binary=True, row_factory=tuple_row) as cur:
        cur.adapters.register_loader("uuid", ByteaBinaryLoader)
        rows = cur.stream(query, params, size=1000)
        checker.feed(rows, progress)


_RECORDED = sql.SQL(
    " CASE WHEN c.stream_id IS NULL AND e.hash IS NOT NULL AND e.notification_id > %(chained)s"
    " THEN e.originator_id ELSE c.stream_id END,"
    " CASE WHEN c.stream_id IS NULL AND e.hash IS NOT NULL AND e.notification_id > %(chained)s"
    " THEN e.originator_version ELSE c.version END,"
    " CASE WHEN (c.stream_id, c.version) = (e.originator_id, e.originator_version)"
    " THEN coalesce(e.prev_hash, c.prev_hash) ELSE coalesce(c.prev_hash, e.prev_hash) END,"
    " CASE WHEN (c.stream_id, c.version) = (e.originator_id, e.originator_version)"
    " THEN coalesce(e.hash, c.hash) ELSE coalesce(c.hash, e.hash) END")
"""The link `_feed` holds an event against: (stream, version, prev hash, hash).

Which event stands at a position is the chain follower's record wherever it has chained that
far: an event there without a link of its own (its link deleted, or the event put into a free
position) has no recorded stream, which the checker reports, even if it carries hashes that
agree with themselves. Only events beyond the follower stand on their own identity and hashes.
The hashes are the event's own (its `prev_hash` and `hash` columns, written with it; the
follower's for events stored before the columns existed; `_disagreeing` holds the two against
each other), except where another event is recorded at the position: then the expected hash
is what the chain recorded there."""


def _missing(conn: Connection[Any], checker: ChainChecker, table: sql.Composable,
             stream_id: UUID | None) -> None:
    """Links whose event is gone: a deleted event, or a truncated tail."""
    where = sql.SQL("") if stream_id is None else sql.SQL(" AND c.stream_id = %s")
    rows = conn.execute(sql.SQL(
        "SELECT c.position, c.stream_id, c.version, c.hash FROM event_chain c WHERE NOT EXISTS"
        " (SELECT 1 FROM {} e WHERE e.notification_id = c.position){} ORDER BY c.position"
    ).format(table, where), () if stream_id is None else (stream_id,), binary=True)
    for position, sid, version, digest in rows:
        checker.missing(position, sid, version, digest)


def _disagreeing(conn: Connection[Any], checker: ChainChecker, table: sql.Composable,
                 stream_id: UUID | None) -> None:
    """Events whose own hashes differ from the chain follower's: a stream rewritten with
    recomputed hashes still shows against the follower's independent record, and so does a
    link of that record changed alone."""
    where = sql.SQL("") if stream_id is None else sql.SQL(" AND e.originator_id = %s")
    rows = conn.execute(sql.SQL(
        "SELECT c.position, c.stream_id, c.version, c.prev_hash, c.hash, e.prev_hash, e.hash"
        " FROM {} e JOIN event_chain c ON c.position = e.notification_id"
        " WHERE e.hash IS NOT NULL AND (e.hash <> c.hash OR e.prev_hash <> c.prev_hash"
        " OR (e.originator_id, e.originator_version) <> (c.stream_id, c.version)){}"
        " ORDER BY c.position"
    ).format(table, where), () if stream_id is None else (stream_id,), binary=True)
    for position, sid, version, c_prev, c_hash, e_prev, e_hash in rows:
        checker.disagree(position, sid, version, (c_prev, c_hash), (e_prev, e_hash))


def _log_end(conn: Connection[Any], table: sql.Composable) -> int:
    row = conn.execute(sql.SQL("SELECT max(notification_id) FROM {}").format(table)).fetchone()
    return 0 if row is None or row[0] is None else int(row[0])


def log_anchor(
    conn: Connection[Any], table: sql.Composable, mapper: Mapper[UUID]
) -> Anchor | None:
    """The latest checkpoint the log itself holds."""
    row = conn.execute(sql.SQL(
        "SELECT notification_id, originator_version, topic, state FROM {}"
        " WHERE originator_id = %s ORDER BY originator_version DESC LIMIT 1"
    ).format(table), (CHECKPOINT_STREAM_ID,), binary=True).fetchone()
    if row is None or row[1] < 2:
        return None
    event: Any = mapper.to_domain_event(
        StoredEvent(CHECKPOINT_STREAM_ID, row[1], row[2], bytes(row[3])))
    return Anchor(root=event.root, position=event.position, streams=event.streams,
                  events=event.events, version=row[1], event_position=row[0])
