"""Every stored event carries its predecessor's hash and its own, written with it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import psycopg
import pytest
from psycopg import sql

from adapters.bootstrap import Services
from adapters.transcoder import MsgspecMapper
from adapters.verify import verify_database
from domain import commands as c
from domain.chain import GENESIS, link_hash
from domain.identity import account_stream_id
from domain.ledger import Request
from domain.values import Channel, Direction
from tests.integration.audit_support import (
    TABLE,
    built,
    chain_level,
    fresh_account,
    history,
    private_database,
)

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def log(pg_server_url: str, run_id: str, request: pytest.FixtureRequest) -> Iterator[str]:
    with private_database(pg_server_url, f"ledger_hashes_{run_id}_{request.node.name[:20]}"
                          ) as url:
        yield url


def contact(account: str, summary: str) -> Request:
    return Request(c.RecordInteraction(
        account_number=account, channel=Channel.PHONE, direction=Direction.INBOUND,
        occurred_at=NOW, summary=summary), "op", NOW)


def rows(url: str, stream: UUID) -> list[tuple[int, int, str, bytes, bytes | None, bytes | None]]:
    """(position, version, topic, state, prev hash, hash) of a stream, in order."""
    with psycopg.connect(url) as conn:
        found = conn.execute(sql.SQL(
            "SELECT notification_id, originator_version, topic, state, prev_hash, hash FROM {}"
            " WHERE originator_id = %s ORDER BY originator_version").format(TABLE),
            (stream,), binary=True).fetchall()
    return [(r[0], r[1], r[2], bytes(r[3]), r[4], r[5]) for r in found]


def write_history(services: Services) -> str:
    """An account's history, the last two contacts stored in one batch (one insert)."""
    account = fresh_account()
    history(services, account)
    outcomes = services.ledger.execute_batch([contact(account, "первый"),
                                              contact(account, "второй")])
    assert not any(isinstance(o, Exception) for o in outcomes)
    return account


class TestEventsCarryTheirHashes:
    def test_each_event_is_chained_to_its_predecessor_as_it_is_stored(self, log: str) -> None:
        with built(log) as services:
            stream = account_stream_id(write_history(services))
            stored = rows(log, stream)
            chain_level(services)
            with psycopg.connect(log) as conn:
                chained = conn.execute(
                    "SELECT version, prev_hash, hash FROM event_chain WHERE stream_id = %s"
                    " ORDER BY version", (stream,)).fetchall()

        prev = GENESIS
        for _, version, topic, state, prev_hash, digest in stored:
            assert prev_hash == prev
            assert digest == link_hash(prev, stream.bytes, version, topic, state)
            prev = digest
        assert [(v, p, h) for _, v, _, _, p, h in stored] == [tuple(r) for r in chained]

    def test_a_change_before_the_follower_chained_the_event_is_caught(self, log: str) -> None:
        with built(log) as services:
            stream = account_stream_id(write_history(services))
        position, version = rows(log, stream)[-1][:2]
        with psycopg.connect(log) as conn:
            conn.execute(sql.SQL("UPDATE {} SET state = set_byte(state, 20, 88)"
                                 " WHERE notification_id = %s").format(TABLE), (position,))

        verdict = verify_database(log, TABLE, MsgspecMapper())

        assert verdict.pending == 0  # nothing waits for the follower to be checked
        first = verdict.breaks[0]
        assert (first.stream_id, first.version, first.position) == (stream, version, position)
        assert first.problem == "event changed"

    def test_a_stream_rewritten_with_fresh_hashes_differs_from_the_followers_record(
        self, log: str
    ) -> None:
        with built(log) as services:
            stream = account_stream_id(write_history(services))
            chain_level(services)
        stored = rows(log, stream)
        prev = stored[1][5]
        assert prev is not None and b"2026" in stored[2][3]
        with psycopg.connect(log) as conn:  # a forger who also recomputes every later hash
            for position, version, topic, state, _, _ in stored[2:]:
                forged = state.replace(b"2026", b"2025", 1) if version == 3 else state
                digest = link_hash(prev, stream.bytes, version, topic, forged)
                conn.execute(sql.SQL("UPDATE {} SET state = %s, prev_hash = %s, hash = %s"
                                     " WHERE notification_id = %s").format(TABLE),
                             (forged, prev, digest, position))
                prev = digest

        verdict = verify_database(log, TABLE, MsgspecMapper(), stream_id=stream)

        assert not verdict.intact
        first = verdict.breaks[0]
        assert (first.version, first.position) == (3, stored[2][0])
        assert first.problem == "the event's own hashes differ from the chain follower's record"
