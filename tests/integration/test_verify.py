"""`ledger verify` against tampering the chain follower's record alone cannot show by itself:
events it has chained whose link is gone, an event put into a free position, events moved, and
a link whose prev hash was changed. Each is made with direct SQL on a real PostgreSQL.

The template log has three parts, as a live one does: events under the last checkpoint, events
chained since (not checkpointed yet), and events the follower has not reached; an erasure, and a
free position among the chained events (what a rolled-back insert leaves), are in the middle.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, NamedTuple
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from adapters.chain_store import chain_position
from adapters.transcoder import MsgspecMapper
from adapters.verify import Verdict, verify_database
from domain.chain import GENESIS, link_hash
from domain.identity import account_stream_id
from tests.integration import pd_support
from tests.integration.audit_support import (
    EVENTS_TABLE,
    TABLE,
    built,
    chain_level,
    fresh_account,
    history,
    private_database,
)

pytestmark = pytest.mark.integration

NOT_CHAINED = "event not in the chain follower's record (inserted, or its link deleted)"
_copies = itertools.count()


class Log(NamedTuple):
    """The template database and what its tests tamper with."""

    name: str
    checkpointed: UUID
    """A stream wholly under the last checkpoint."""
    chained: UUID
    """A stream chained after the last checkpoint."""
    free: int
    """A free position the follower has passed, right after `chained`'s last event."""
    erased: UUID
    """A stream whose personal data was erased."""


@pytest.fixture(scope="module")
def template(pg_server_url: str, run_id: str) -> Iterator[Log]:
    name = f"ledger_verify_{run_id}"
    with private_database(pg_server_url, name) as url, built(url) as services:
        checkpointed = fresh_account()
        history(services, checkpointed)
        follower = chain_level(services)
        chained, erased = fresh_account(), pd_support.new_account()
        history(services, chained)
        free = _skip_a_position(url)
        pd_support.history(services, erased)
        pd_support.erase_now(services, erased)
        follower.catch_up()
        history(services, fresh_account())  # stored after the follower's position
        yield Log(name, account_stream_id(checkpointed), account_stream_id(chained), free,
                  account_stream_id(erased))


@pytest.fixture
def log(pg_server_url: str, template: Log) -> Iterator[str]:
    """A fresh copy of the template, for one test to tamper with."""
    with private_database(pg_server_url, f"{template.name}_{next(_copies)}",
                          template=template.name) as url:
        yield url


def _skip_a_position(url: str) -> int:
    """Take a position from the sequence and store nothing there, as a rolled-back insert does."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
                           (f"public.{EVENTS_TABLE}",)).fetchone()
    assert row is not None
    return int(row[0])


def tamper(url: str, *statements: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(url) as conn:
        for statement in statements:
            conn.execute(statement.encode(), params)


def events(url: str, stream: UUID) -> list[tuple[int, int, str, bytes, bytes, bytes]]:
    """(position, version, topic, state, prev hash, hash) of a stream's events, in order."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(sql.SQL(
            "SELECT notification_id, originator_version, topic, state, prev_hash, hash FROM {}"
            " WHERE originator_id = %s ORDER BY originator_version").format(TABLE),
            (stream,), binary=True).fetchall()
    return [(r[0], r[1], r[2], bytes(r[3]), bytes(r[4]), bytes(r[5])) for r in rows]


def chain_link(url: str, position: int) -> tuple[bytes, bytes]:
    """(prev hash, hash) the chain follower recorded at a position."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT prev_hash, hash FROM event_chain WHERE position = %s",
                           (position,)).fetchone()
    assert row is not None
    return bytes(row[0]), bytes(row[1])


def _beyond_the_follower(url: str) -> int:
    """How many events the chain follower has not reached."""
    with psycopg.connect(url) as conn:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {} WHERE notification_id > %s").format(
            TABLE), (chain_position(conn),)).fetchone()
    assert row is not None
    return int(row[0])


def verify(url: str) -> Verdict:
    return verify_database(url, TABLE, MsgspecMapper())


def where(verdict: Verdict) -> tuple[UUID, int, int | None, str]:
    """The first broken link: stream, version, position and problem."""
    assert verdict.breaks, "intact"
    first = verdict.breaks[0]
    return first.stream_id, first.version, first.position, first.problem


class TestUntouched:
    def test_a_log_chained_in_part_with_an_erasure_and_a_free_position_is_intact(
        self, log: str, template: Log
    ) -> None:
        verdict = verify(log)

        assert verdict.intact, verdict.describe()
        assert _beyond_the_follower(log) == 7  # the last account's history, own hashes only
        assert [a.source for a in verdict.anchors] == ["log"]
        assert template.free not in {e[0] for e in events(log, template.chained)}


class TestEventsTheFollowerPassed:
    @pytest.mark.parametrize("part", ["checkpointed", "chained"])
    def test_a_deleted_link_breaks_its_event(self, log: str, template: Log, part: str) -> None:
        stream = getattr(template, part)
        position = events(log, stream)[3][0]
        tamper(log, "DELETE FROM event_chain WHERE position = %s", params=(position,))

        assert where(verify(log)) == (stream, 4, position, NOT_CHAINED)

    def test_a_stream_rewritten_with_its_hashes_and_its_links_deleted_is_caught(
        self, log: str, template: Log
    ) -> None:
        stream, stored = template.chained, events(log, template.chained)
        prev = GENESIS
        with psycopg.connect(log) as conn:  # what /tmp/review-audit/forge.py does
            for position, version, topic, state, _, _ in stored:
                forged = state + b" " if version == 3 else state
                digest = link_hash(prev, stream.bytes, version, topic, forged)
                conn.execute(sql.SQL("UPDATE {} SET state = %s, prev_hash = %s, hash = %s"
                                     " WHERE notification_id = %s").format(TABLE),
                             (forged, prev, digest, position))
                if version >= 3:
                    conn.execute("DELETE FROM event_chain WHERE position = %s", (position,))
                prev = digest

        assert where(verify(log)) == (stream, 3, stored[2][0], NOT_CHAINED)

    def test_an_event_put_into_a_free_position_is_caught(self, log: str, template: Log) -> None:
        stream = template.chained
        last_position, version, topic, state, _, head = events(log, stream)[-1]
        assert last_position < template.free
        tamper(log, f"INSERT INTO {EVENTS_TABLE} (notification_id, originator_id,"
               " originator_version, topic, state, prev_hash, hash)"
               " VALUES (%s, %s, %s, %s, %s, %s, %s)",
               params=(template.free, stream, version + 1, topic, state, head,
                       link_hash(head, stream.bytes, version + 1, topic, state)))

        assert where(verify(log)) == (stream, version + 1, template.free, NOT_CHAINED)


class TestWhatTheReportShows:
    def test_swapped_events_expect_what_the_chain_recorded_at_the_position(
        self, log: str, template: Log
    ) -> None:
        stream, stored = template.chained, events(log, template.chained)
        (first, _, _, _, _, _), (second, version, topic, state, _, _) = stored[1:3]
        tamper(log, *(f"UPDATE {EVENTS_TABLE} SET notification_id = %s"
                      " WHERE notification_id = %s" % pair
                      for pair in ((-1, first), (first, second), (second, -1))))

        verdict = verify(log)

        assert where(verdict)[:3] == (stream, 2, first)
        assert "swapped or re-ordered" in where(verdict)[3]
        assert verdict.breaks[0].expected == chain_link(log, first)[1].hex()
        assert verdict.breaks[0].found == link_hash(
            stored[0][5], stream.bytes, version, topic, state).hex()

    def test_a_changed_prev_hash_in_the_chain_shows_both_prev_hashes(
        self, log: str, template: Log
    ) -> None:
        stream = template.erased
        position, version, _, _, own_prev, _ = events(log, stream)[1]
        forged = bytes(32)
        tamper(log, "UPDATE event_chain SET prev_hash = %s WHERE position = %s",
               params=(forged, position))

        verdict = verify(log)

        assert where(verdict) == (stream, version, position, "the event's own prev_hash differs"
                                  " from the chain follower's record")
        assert (verdict.breaks[0].expected, verdict.breaks[0].found) == (
            forged.hex(), own_prev.hex())
