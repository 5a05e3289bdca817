"""Hash chains and Merkle proofs (domain/chain.py) and the checker that recomputes them."""

from __future__ import annotations

import hashlib
import os
from uuid import uuid4

import msgspec
import pytest

from adapters.chain_check import HASH_DIFFERS, NOT_CHAINED, PREV_DIFFERS, ChainChecker
from domain.chain import GENESIS, Head, Link, link_hash, merkle_proof, merkle_root, root_of_proof

pytestmark = pytest.mark.unit

TOPIC = "domain.account:Account.InteractionRecorded"


def chained(stream: bytes, states: list[bytes]) -> list[tuple[int, bytes, bytes]]:
    """(version, prev hash, hash) of each state, chained from the genesis."""
    links, prev = [], GENESIS
    for version, state in enumerate(states, 1):
        digest = link_hash(prev, stream, version, TOPIC, state)
        links.append((version, prev, digest))
        prev = digest
    return links


class TestLinkHash:
    def test_every_field_and_the_predecessor_count(self) -> None:
        stream = uuid4().bytes
        base = link_hash(GENESIS, stream, 1, TOPIC, b"{}")

        variants = [link_hash(b"\x01" * 32, stream, 1, TOPIC, b"{}"),
                    link_hash(GENESIS, uuid4().bytes, 1, TOPIC, b"{}"),
                    link_hash(GENESIS, stream, 2, TOPIC, b"{}"),
                    link_hash(GENESIS, stream, 1, TOPIC + "x", b"{}"),
                    link_hash(GENESIS, stream, 1, TOPIC, b"{ }")]

        assert base not in variants and len(set(variants)) == len(variants)

    def test_encrypted_state_is_hashed_as_stored_so_no_key_is_ever_needed(self) -> None:
        ciphertext = os.urandom(64)  # what a cipher stores; shredding its key changes no byte
        stream = uuid4().bytes
        (version, prev, digest), = chained(stream, [ciphertext])
        checker = ChainChecker()

        checker.feed([(1, stream, version, TOPIC, ciphertext, stream, version, prev, digest)])

        assert not checker.breaks


class TestCanonicalEncoding:
    def test_the_link_hash_covers_the_fields_in_the_order_link_declares(self) -> None:
        stream = uuid4().bytes
        canonical = msgspec.msgpack.encode(Link(stream, 3, TOPIC, b"state"))

        digest = link_hash(GENESIS, stream, 3, TOPIC, b"state")

        assert digest == hashlib.sha256(GENESIS + canonical).digest()


class TestMerkle:
    @pytest.mark.parametrize("count", [1, 2, 3, 5, 8, 13])
    def test_every_head_is_proved_by_its_path(self, count: int) -> None:
        heads = [Head(uuid4(), i + 1, os.urandom(32)) for i in range(count)]
        root = merkle_root(heads)

        proved = [root_of_proof(*merkle_proof(heads, h.stream_id)) for h in heads]

        assert proved == [root] * count

    def test_a_changed_head_gives_another_root(self) -> None:
        heads = [Head(uuid4(), 3, os.urandom(32)) for _ in range(4)]
        changed = [*heads[:3], Head(heads[3].stream_id, 2, heads[3].hash)]

        assert merkle_root(changed) != merkle_root(heads)

    def test_the_order_given_does_not_matter(self) -> None:
        heads = [Head(uuid4(), 1, os.urandom(32)) for _ in range(6)]

        assert merkle_root(heads) == merkle_root(list(reversed(heads)))


class TestChainChecker:
    def feed_all(self, stream: bytes, states: list[bytes], order: list[int]) -> ChainChecker:
        links = chained(stream, [b"a", b"b", b"c", b"d"])
        checker = ChainChecker()
        checker.feed((index + 1, stream, links[index][0], TOPIC, states[index], stream,
                      *links[index]) for index in order)
        return checker

    @pytest.mark.parametrize("every", [1, 3, 4, 20_000])
    def test_progress_counts_every_event_fed(self, every: int) -> None:
        stream, counted = uuid4().bytes, list[int]()
        links = chained(stream, [b"a", b"b", b"c", b"d"])
        rows = [(i + 1, stream, links[i][0], TOPIC, s, stream, *links[i])
                for i, s in enumerate([b"a", b"b", b"c", b"d"])]

        ChainChecker().feed(rows, counted.append, every)

        assert sum(counted) == 4

    def test_a_changed_state_breaks_at_its_version(self) -> None:
        stream = uuid4().bytes

        checker = self.feed_all(stream, [b"a", b"b", b"X", b"d"], [0, 1, 2, 3])

        assert (checker.breaks[stream].version, checker.breaks[stream].problem) == (
            3, "event changed")

    def test_a_removed_event_is_a_gap_at_the_next_version(self) -> None:
        stream = uuid4().bytes

        checker = self.feed_all(stream, [b"a", b"b", b"c", b"d"], [0, 2, 3])

        assert checker.breaks[stream].version == 3
        assert checker.breaks[stream].problem.startswith("version gap: version 2")

    def test_an_unchained_event_before_the_followers_position_is_a_break(self) -> None:
        stream = uuid4().bytes
        links = chained(stream, [b"a", b"b"])
        checker = ChainChecker(chained_up_to=1)

        checker.feed([(1, stream, 1, TOPIC, b"a", None, None, None, None),
                      (2, stream, 2, TOPIC, b"b", None, None, None, None)])

        assert (checker.breaks[stream].version, checker.breaks[stream].position) == (1, 1)
        assert checker.breaks[stream].problem == NOT_CHAINED
        assert checker.breaks[stream].found == links[0][2].hex()

    def test_an_unchained_event_beyond_the_followers_position_is_pending(self) -> None:
        stream = uuid4().bytes
        checker = ChainChecker(chained_up_to=1)

        checker.feed([(2, stream, 1, TOPIC, b"a", None, None, None, None)])

        assert (checker.breaks, checker.pending) == ({}, 1)


class TestDisagreement:
    @pytest.mark.parametrize(("chained", "own", "problem", "shown"), [
        ((b"\x01" * 32, b"\x02" * 32), (b"\x01" * 32, b"\x03" * 32), HASH_DIFFERS, 1),
        ((b"\x04" * 32, b"\x02" * 32), (b"\x01" * 32, b"\x03" * 32), HASH_DIFFERS, 1),
        ((b"\x04" * 32, b"\x02" * 32), (b"\x01" * 32, b"\x02" * 32), PREV_DIFFERS, 0),
    ])
    def test_the_report_shows_the_field_that_differs(
        self, chained: tuple[bytes, bytes], own: tuple[bytes, bytes], problem: str, shown: int
    ) -> None:
        stream, checker = uuid4(), ChainChecker()

        checker.disagree(7, stream, 3, chained, own)

        found = checker.breaks[stream.bytes]
        assert (found.stream_id, found.version, found.position) == (stream, 3, 7)
        assert (found.problem, found.expected, found.found) == (
            problem, chained[shown].hex(), own[shown].hex())
