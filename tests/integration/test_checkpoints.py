"""The chain follower on a real PostgreSQL: every event chained once, checkpoints when due."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from eventsourcing.application import AggregateNotFoundError

from adapters.bootstrap import Services
from adapters.chain import ChainFollower
from adapters.chain_store import heads_at, latest_checkpoint
from adapters.follower import LogFollower
from adapters.log_scan import events_table
from adapters.verify import verify_database
from domain.chain import merkle_root
from domain.checkpoint import CHECKPOINT_STREAM_ID, Checkpoints
from tests.integration.audit_support import built, fresh_account, history, private_database

pytestmark = pytest.mark.integration


class FakeClock:
    """Seconds that pass only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    """A database of this module's own: its log holds streams that are not accounts
    (checkpoints), which other modules' read-model tests do not expect."""
    name = f"ledger_checkpoints_{run_id}"
    with private_database(pg_server_url, name) as url, built(url) as ready:
        yield ready


def follower(services: Services, every_events: int = 10**9, every_seconds: float = 10**9,
             clock: FakeClock | None = None) -> ChainFollower:
    return ChainFollower(services.pool, services.ledger,
                         LogFollower(services.ledger, services.url), every_events,
                         every_seconds, clock or FakeClock())


def last_checkpoint(services: Services) -> Checkpoints | None:
    try:
        found: Checkpoints = services.ledger.repository.get(CHECKPOINT_STREAM_ID)
    except AggregateNotFoundError:
        return None
    return found


class TestChainFollower:
    def test_two_followers_chain_every_event_exactly_once(self, services: Services) -> None:
        history(services, fresh_account())
        first, second = follower(services), follower(services)

        threads = [threading.Thread(target=f.catch_up) for f in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        ledger = services.ledger
        verdict = verify_database(services.url, events_table(ledger), ledger.mapper)
        assert verdict.intact, verdict.breaks
        assert verdict.pending == 0
        assert first.step() == 0

    def test_a_checkpoint_follows_n_events(self, services: Services) -> None:
        chain = follower(services, every_events=5)
        chain.catch_up()
        before = last_checkpoint(services)
        history(services, fresh_account())

        chain.catch_up()

        after = last_checkpoint(services)
        assert after is not None and after.version > (before.version if before else 0)
        with services.pool.connection() as conn:
            record = latest_checkpoint(conn)
            assert record is not None and record.position == after.position
            assert record.root == merkle_root(heads_at(conn, record.position))

    def test_a_quiet_log_is_checkpointed_after_t_seconds_once(self, services: Services) -> None:
        clock = FakeClock()
        chain = follower(services, every_seconds=60, clock=clock)
        history(services, fresh_account())
        chain.catch_up()

        clock.now = 30
        early = chain.checkpoint_if_due()
        clock.now = 61
        due = chain.checkpoint_if_due()
        chain.catch_up()  # chains the checkpoint event itself
        clock.now = 200
        again = chain.checkpoint_if_due()

        assert early is None
        assert due is not None
        assert again is None, "a checkpoint of nothing but the last checkpoint"


class Counting(ChainFollower):
    """A chain follower that counts its reads of the log."""

    reads = 0

    def step(self) -> int:
        self.reads += 1
        return super().step()


class TestRunning:
    def test_an_idle_follower_waits_for_news_and_chains_it_when_it_comes(
        self, services: Services
    ) -> None:
        history(services, fresh_account())
        chain = Counting(services.pool, services.ledger,
                         LogFollower(services.ledger, services.url), 10**9, 10**9, FakeClock())
        stop = threading.Event()
        runner = threading.Thread(target=chain.run, args=(stop,))
        runner.start()
        try:
            assert wait_until(lambda: pending(services) == 0)
            idle_from = chain.reads
            stop.wait(1.5)
            idle_reads = chain.reads - idle_from
            history(services, fresh_account())
            woken = wait_until(lambda: pending(services) == 0)
        finally:
            stop.set()
            runner.join(timeout=10)
            chain.follower.close()

        assert idle_reads <= 6, f"{idle_reads} reads of an idle log in 1.5 s: a busy loop"
        assert woken


def pending(services: Services) -> int:
    """Events stored but not chained yet."""
    ledger = services.ledger
    return verify_database(services.url, events_table(ledger), ledger.mapper).pending


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
