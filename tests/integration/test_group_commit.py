"""The pipelined group committer on a real PostgreSQL: batches decided on top of a batch in flight.

A gate around the event store's real insert holds the first batch in flight, so the test can
queue more commands (and let another writer act) before that batch commits.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from adapters.bootstrap import Services, build, prepare_database
from adapters.group_commit import GroupCommitter
from adapters.settings import load_settings
from domain import commands as c
from domain.errors import InvalidTransitionError
from domain.ledger import Outcome
from domain.values import Channel
from tests.integration.test_event_store import (
    NOW,
    another_ledger,
    appeal,
    contact,
    log_positions,
    new_account_number,
    stored_events,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=10)
    yield built
    built.close()


class Gate:
    """Holds the first insert of the ledger's recorder until released; later ones pass."""

    def __init__(self, services: Services) -> None:
        self.entered, self.released = threading.Event(), threading.Event()
        self._recorder = services.ledger.recorder
        self._insert = self._recorder.insert_events
        self._first = True

    def insert(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if self._first:
            self._first = False
            self.entered.set()
            assert self.released.wait(30)
        return self._insert(stored_events, **kwargs)

    def __enter__(self) -> Gate:
        self._recorder.insert_events = self.insert  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self._recorder.insert_events = self._insert  # type: ignore[method-assign]


@pytest.fixture
def committer(services: Services) -> Iterator[GroupCommitter]:
    """A committer of its own, so its working set starts empty."""
    committer = GroupCommitter(services.ledger)
    yield committer
    committer.close()


def results(futures: Sequence[Future[Outcome]]) -> list[Outcome]:
    return [f.result(timeout=30) for f in futures]


class TestBatchesInFlight:
    def test_a_batch_on_an_account_in_flight_sees_its_result(
        self, services: Services, committer: GroupCommitter
    ) -> None:
        # Batch 1 (a call with a message id) is held at the insert; batch 2 repeats the call
        # and adds another, deciding on top of batch 1 before it is committed.
        number = new_account_number()
        first_call = contact(number, "звонок", external_id="call-1")
        with Gate(services) as gate:
            first = committer.submit(first_call, "op", NOW)
            assert gate.entered.wait(30)
            repeat = committer.submit(first_call, "op", NOW)
            second = committer.submit(contact(number, "второй звонок"), "op", NOW)
            gate.released.set()

            stored, repeated, added = results([first, repeat, second])

        events = stored_events(services.ledger, number)
        assert [e.summary for e in events[1:]] == ["звонок", "второй звонок"]  # once each
        assert [e.originator_version for e in events] == [1, 2, 3]
        assert (repeated.duplicate, repeated.interaction_id) == (True, stored.interaction_id)
        assert stored.position <= repeated.position
        assert stored.position < added.position == max(p for _, p in log_positions(
            services, number))

    def test_a_batch_of_other_accounts_commits_while_one_is_held(
        self, services: Services, committer: GroupCommitter
    ) -> None:
        # Batch 1 is held at the insert; batch 2, on another account, carries the same letter
        # twice. It does not wait for batch 1, and stores the letter once.
        held, other = new_account_number(), new_account_number()
        letter = contact(other, "письмо", channel=Channel.EMAIL, external_id="<m7@x>")
        with Gate(services) as gate:
            blocked = committer.submit(contact(held, "звонок"), "op", NOW)
            assert gate.entered.wait(30)
            twice = [committer.submit(letter, "op", NOW) for _ in range(2)]

            done = results(twice)
            assert not blocked.done()
            gate.released.set()
            assert blocked.result(timeout=30).position > max(o.position for o in done)

        assert [e.summary for e in stored_events(services.ledger, other)[1:]] == ["письмо"]
        assert sorted(o.duplicate for o in done) == [False, True]
        assert len({o.interaction_id for o in done}) == 1

    def test_a_failed_batch_fails_what_stood_on_it_and_both_are_retried(
        self, services: Services, committer: GroupCommitter
    ) -> None:
        # Batch 1 is held; another worker writes to the account meanwhile, so batch 1 meets a
        # version conflict. Batch 2, decided on top of batch 1, must not be stored as decided.
        number = new_account_number()
        committer.execute(contact(number, "открыт"), "op", NOW)
        with Gate(services) as gate:
            first = committer.submit(contact(number, "первый"), "op", NOW)
            assert gate.entered.wait(30)
            second = committer.submit(contact(number, "второй"), "op", NOW)
            with another_ledger(services) as worker:
                worker.execute(contact(number, "чужой"), "op", NOW)
            gate.released.set()

            outcomes = results([first, second])

        events = stored_events(services.ledger, number)
        summaries = [e.summary for e in events[1:]]
        assert sorted(summaries) == sorted(["открыт", "первый", "второй", "чужой"])
        assert summaries.index("первый") < summaries.index("второй")
        assert [e.originator_version for e in events] == list(range(1, 6))
        versions = {e.interaction_id: e.originator_version for e in events[1:]}
        assert {o.interaction_id for o in outcomes} <= set(versions)
        positions = [p for _, p in log_positions(services, number)]
        assert positions == sorted(set(positions))

    def test_a_refusal_on_a_stale_account_is_confirmed_on_a_fresh_read(
        self, services: Services, committer: GroupCommitter
    ) -> None:
        # The committer keeps the account with its appeal just registered; another worker
        # answers the appeal. Closing is refused on the kept state, allowed on the real one.
        registered = committer.execute(appeal(new_account_number()), "op", NOW)
        assert registered.appeal_number is not None
        with another_ledger(services) as worker:
            worker.execute(c.AnswerAppeal(appeal_number=registered.appeal_number,
                                          channel=Channel.EMAIL, text="Пересчитано"), "op", NOW)

        closed = committer.execute(
            c.CloseAppeal(appeal_number=registered.appeal_number, note="ответ дан"), "op", NOW)

        events = stored_events(services.ledger, registered.account_number)
        assert [type(e).__name__ for e in events][-2:] == ["AppealAnswered", "AppealClosed"]
        assert closed.position == max(p for _, p in log_positions(
            services, registered.account_number))

    def test_a_refusal_in_flight_reaches_only_its_caller(
        self, services: Services, committer: GroupCommitter
    ) -> None:
        number = new_account_number()
        registered = committer.execute(appeal(number), "op", NOW)
        assert registered.appeal_number is not None
        with Gate(services) as gate:
            call = committer.submit(contact(number, "звонок"), "op", NOW)
            assert gate.entered.wait(30)
            refused = committer.submit(
                c.CloseAppeal(appeal_number=registered.appeal_number, note="рано"), "op", NOW)
            another = committer.submit(contact(number, "ещё звонок"), "op", NOW)
            gate.released.set()

            with pytest.raises(InvalidTransitionError):
                refused.result(timeout=30)
            results([call, another])

        assert [type(e).__name__ for e in stored_events(services.ledger, number)] == [
            "Opened", "AppealRegistered", "InteractionRecorded", "InteractionRecorded",
        ]  # fmt: skip
