"""When the group committer lets a batch leave: merge returning callers, pipeline when it pays."""

from __future__ import annotations

import pytest

from adapters.commit_gather import Gathering

pytestmark = pytest.mark.unit

MAX_BATCH = 100
LONG = 3600.0  # no test here waits for the gathering time to run out


class TestGathering:
    def test_a_batch_waits_for_every_caller_seen_before(self) -> None:
        gathering = Gathering(LONG)
        gathering.arrived(queued=8, in_flight=0)
        gathering.sent(size=8, still_queued=0)

        gathering.arrived(queued=5, in_flight=0)

        assert not gathering.ready(queued=5, in_flight=0, max_batch=MAX_BATCH)
        gathering.arrived(queued=8, in_flight=0)
        assert gathering.ready(queued=8, in_flight=0, max_batch=MAX_BATCH)

    def test_a_smaller_batch_merges_with_the_one_in_flight(self) -> None:
        gathering = Gathering(LONG)
        gathering.arrived(queued=1, in_flight=7)

        assert not gathering.ready(queued=1, in_flight=7, max_batch=MAX_BATCH)
        assert gathering.ready(queued=7, in_flight=1, max_batch=MAX_BATCH)

    def test_a_full_batch_always_leaves(self) -> None:
        gathering = Gathering(LONG)
        gathering.arrived(queued=150, in_flight=100)

        assert gathering.ready(queued=100, in_flight=100, max_batch=MAX_BATCH)

    def test_pipelines_only_while_callers_take_longer_than_a_commit(self) -> None:
        gathering = Gathering(LONG)
        gathering.arrived(queued=8, in_flight=0)
        gathering.committed(seconds=LONG)  # commits far slower than any turn-around

        gathering.sent(size=8, still_queued=0)

        assert not gathering.pipelining
        assert not gathering.ready(queued=4, in_flight=4, max_batch=MAX_BATCH)

    def test_pipelines_while_commits_are_quick(self) -> None:
        gathering = Gathering(LONG)
        gathering.arrived(queued=8, in_flight=0)
        gathering.committed(seconds=0.0)

        gathering.sent(size=8, still_queued=0)

        assert gathering.pipelining
        assert gathering.ready(queued=4, in_flight=4, max_batch=MAX_BATCH)
