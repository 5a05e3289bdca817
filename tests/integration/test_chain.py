"""Tamper evidence on a real PostgreSQL: each tampering made with direct SQL is found, and named.

A pristine database (three accounts' histories, chained and checkpointed) is the template of a
fresh copy per test, so every test tampers with a log of its own.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest

from adapters.nats.streams import Subjects
from adapters.transcoder import MsgspecMapper
from adapters.verify import Verdict, verify_database
from domain.chain import link_hash
from domain.checkpoint import CHECKPOINT_STREAM_ID
from domain.identity import account_stream_id
from tests.conftest import NatsNames
from tests.integration.audit_support import (
    EVENTS_TABLE,
    TABLE,
    built,
    chain_level,
    fresh_account,
    history,
    private_database,
    publish_log,
)

pytestmark = pytest.mark.integration

_copies = itertools.count()


@pytest.fixture(scope="module")
def pristine(pg_server_url: str, run_id: str) -> Iterator[tuple[str, list[UUID]]]:
    """The template database and its accounts' streams."""
    name = f"ledger_chain_{run_id}"
    with private_database(pg_server_url, name) as url:
        with built(url) as services:
            accounts = [fresh_account() for _ in range(3)]
            for account in accounts:
                history(services, account)
            chain_level(services)
        yield name, [account_stream_id(a) for a in accounts]


@pytest.fixture
def log(pg_server_url: str, pristine: tuple[str, list[UUID]]) -> Iterator[str]:
    """A fresh copy of the pristine log, for one test to tamper with."""
    name = f"{pristine[0]}_{next(_copies)}"
    with private_database(pg_server_url, name, template=pristine[0]) as url:
        yield url


def tamper(url: str, *statements: str, params: tuple[Any, ...] = ()) -> None:
    with psycopg.connect(url) as conn:
        for statement in statements:
            conn.execute(statement.encode(), params)


def link(url: str, stream: UUID, version: int) -> tuple[int, bytes, bytes]:
    """(position, prev hash, hash) the chain recorded for an event."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT position, prev_hash, hash FROM event_chain"
                           " WHERE stream_id = %s AND version = %s", (stream, version)).fetchone()
    assert row is not None
    return int(row[0]), bytes(row[1]), bytes(row[2])


def verify(url: str, **kwargs: Any) -> Verdict:
    return verify_database(url, TABLE, MsgspecMapper(), **kwargs)


class TestTamperEvidence:
    def test_an_untouched_log_is_intact(self, log: str) -> None:
        verdict = verify(log)

        assert verdict.intact, verdict.breaks
        assert verdict.events == 3 * 7 + 2  # Opened and six steps each, and two checkpoint events
        assert [a.source for a in verdict.anchors] == ["log"]

    def test_a_changed_byte_breaks_its_stream_at_that_version(
        self, log: str, pristine: tuple[str, list[UUID]]
    ) -> None:
        stream = pristine[1][1]
        position, prev, recorded = link(log, stream, 3)
        tamper(log, f"UPDATE {EVENTS_TABLE} SET state = set_byte(state, 20, 88)"
               " WHERE originator_id = %s AND originator_version = 3", params=(stream,))

        verdict = verify(log)

        first = verdict.breaks[0]
        assert (first.stream_id, first.version, first.position) == (stream, 3, position)
        assert first.problem == "event changed"
        assert first.expected == recorded.hex()
        assert first.found == _recomputed(log, stream, 3, prev).hex()

    def test_a_deleted_event_is_missing_at_its_stream_and_version(
        self, log: str, pristine: tuple[str, list[UUID]]
    ) -> None:
        stream = pristine[1][0]
        position, _, recorded = link(log, stream, 4)
        tamper(log, f"DELETE FROM {EVENTS_TABLE} WHERE originator_id = %s"
               " AND originator_version = 4", params=(stream,))

        first = verify(log).breaks[0]

        assert (first.stream_id, first.version, first.position) == (stream, 4, position)
        assert first.problem == "event missing from the log"
        assert (first.expected, first.found) == (recorded.hex(), None)

    def test_two_swapped_events_break_the_first_of_them(
        self, log: str, pristine: tuple[str, list[UUID]]
    ) -> None:
        stream = pristine[1][2]
        position, _, recorded = link(log, stream, 2)
        swap = (f"UPDATE {EVENTS_TABLE} SET originator_version = %s WHERE originator_id = %s"
                " AND originator_version = %s")
        with psycopg.connect(log) as conn:
            for old, new in ((2, -2), (3, 2), (-2, 3)):
                conn.execute(swap.encode(), (new, stream, old))

        first = verify(log).breaks[0]

        assert (first.stream_id, first.version, first.position) == (stream, 2, position)
        assert "swapped or re-ordered" in first.problem
        assert first.expected == recorded.hex()

    def test_a_truncated_tail_is_missing_from_its_first_event(
        self, log: str, pristine: tuple[str, list[UUID]]
    ) -> None:
        stream = pristine[1][2]
        position, _, recorded = link(log, stream, 5)
        tamper(log, f"DELETE FROM {EVENTS_TABLE} WHERE notification_id >= %s",
               params=(position,))

        first = verify(log).breaks[0]

        assert (first.stream_id, first.version, first.position) == (stream, 5, position)
        assert (first.problem, first.expected) == ("event missing from the log", recorded.hex())

    def test_a_tail_cut_from_every_table_shows_against_the_checkpoint_on_nats(
        self, log: str, pristine: tuple[str, list[UUID]], nats_server_url: str,
        nats_names: NatsNames,
    ) -> None:
        subjects = Subjects(prefix=f"{nats_names.subject_prefix}_chain",
                            stream=f"{nats_names.stream}_CHAIN")
        anchor = asyncio.run(publish_log(log, nats_server_url, subjects))
        position, _, _ = link(log, pristine[1][2], 5)
        tamper(log, *(f"DELETE FROM {t} WHERE {c} >= %s" for t, c in (
            (EVENTS_TABLE, "notification_id"), ("event_chain", "position"),
            ("chain_heads", "position"), ("chain_checkpoints", "position"))),
            params=(position,))
        assert verify(log).intact  # the database alone cannot tell: it is consistent

        verdict = verify(log, anchors=[anchor])

        first = verdict.breaks[0]
        assert (first.stream_id, first.version) == (CHECKPOINT_STREAM_ID, anchor.version)
        assert first.problem == (f"checkpoint (nats) covers position {anchor.position} but the"
                                 f" log ends at {position - 1}: its tail was cut")
        assert first.expected == anchor.root

    def test_one_account_is_verified_alone(
        self, log: str, pristine: tuple[str, list[UUID]]
    ) -> None:
        broken, intact = pristine[1][0], pristine[1][1]
        tamper(log, f"UPDATE {EVENTS_TABLE} SET state = set_byte(state, 5, 33)"
               " WHERE originator_id = %s AND originator_version = 2", params=(broken,))

        assert verify(log, stream_id=intact).intact
        assert verify(log, stream_id=broken).breaks[0].version == 2


def _recomputed(url: str, stream: UUID, version: int, prev: bytes) -> bytes:
    with psycopg.connect(url) as conn:
        row = conn.execute(f"SELECT topic, state FROM {EVENTS_TABLE} WHERE originator_id = %s"
                           " AND originator_version = %s".encode(), (stream, version)).fetchone()
    assert row is not None
    return link_hash(prev, stream.bytes, version, row[0], bytes(row[1]))
