"""The ledger on a real PostgreSQL: what is stored, under concurrency, and what is refused."""

from __future__ import annotations

import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from adapters.bootstrap import Services, build, prepare_database
from adapters.postgres import PostgresAppealNumbers, eventsourcing_env
from adapters.settings import load_settings
from domain import commands as c
from domain.account import Account
from domain.errors import ConflictError, InvalidTransitionError, NotFoundError
from domain.identity import account_stream_id
from domain.ledger import Ledger, Outcome
from domain.values import AccountKind, AppealType, Channel, Contact, Direction

pytestmark = pytest.mark.integration

MSK = timezone(timedelta(hours=3))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
APPEAL_NUMBER = re.compile(r"^2026-[0-9]{6,}$")
T = TypeVar("T")


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger, its pool and its group committer, built once for this module."""
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=10)
    yield built
    built.close()


def as_told(execute: Callable[[], Outcome], attempts: int = 5) -> Outcome:
    """Run a command, again on CONFLICT, as the error tells a client to: after its own ten
    tries the ledger refuses (storing nothing) a writer that kept losing the race, which on
    two busy cores happened now and then to one of eight writers of one account."""
    for _ in range(attempts - 1):
        try:
            return execute()
        except ConflictError:
            continue
    return execute()


@contextmanager
def another_ledger(services: Services) -> Iterator[Ledger]:
    """A second Ledger on the same database: its own cache and connections, as another worker."""
    ledger = Ledger(
        eventsourcing_env(services.url, pool_size=2), numbers=PostgresAppealNumbers(services.pool)
    )
    try:
        yield ledger
    finally:
        ledger.close()


def new_account_number() -> str:
    return f"{random.randrange(10**9, 10**10)}"


def contact(number: str, summary: str, **overrides: Any) -> c.RecordInteraction:
    fields: dict[str, Any] = {
        "account_number": number, "channel": Channel.PHONE, "direction": Direction.INBOUND,
        "occurred_at": NOW, "summary": summary,
    } | overrides  # fmt: skip
    return c.RecordInteraction(**fields)


def appeal(number: str, **overrides: Any) -> c.RegisterAppeal:
    fields: dict[str, Any] = {
        "account_number": number, "channel": Channel.MAIL, "type": AppealType.COMPLAINT,
        "received_at": NOW, "subject": "Счёт за март", "text": "Прошу пересчитать",
        "contact": Contact(name="Иванов", phone="+79990000000"),
    } | overrides  # fmt: skip
    return c.RegisterAppeal(**fields)


def head(services: Services) -> int:
    return services.ledger.recorder.max_notification_id() or 0


def stored_events(ledger: Ledger, number: str) -> list[Any]:
    return list(ledger.repository.event_store.get(account_stream_id(number)))


def log_positions(services: Services, number: str) -> list[tuple[int, int]]:
    """(version, log position) of every stored event of the account, in version order."""
    recorder = services.ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    query = sql.SQL(
        "SELECT originator_version, notification_id FROM {} WHERE originator_id = %s"
        " ORDER BY originator_version"
    ).format(sql.Identifier(*recorder.events_table_name.split(".")))
    with services.pool.connection() as conn:
        rows = conn.execute(query, (account_stream_id(number),)).fetchall()
    return [(int(version), int(position)) for version, position in rows]


def run_together(jobs: list[Callable[[], T]]) -> list[T]:
    """Run every job in its own thread, all released at once; re-raise the first failure."""
    start = threading.Barrier(len(jobs))

    def released(job: Callable[[], T]) -> T:
        start.wait()
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [pool.submit(released, job) for job in jobs]
        return [f.result(timeout=60) for f in futures]


class TestStoredEvents:
    def test_events_reload_equal_to_what_was_saved(self, services: Services) -> None:
        number = new_account_number()
        account = Account(number=number, kind=AccountKind.INDIVIDUAL)
        account.register_appeal(
            appeal_number="2026-000001", form=None, channel=Channel.EMAIL,
            appeal_type=AppealType.INQUIRY, received_at=NOW, subject="Тариф",
            text="Какой тариф?", contact=Contact(email="c@example.ru"),
            reply_channel=Channel.EMAIL, external_id="msg-1", registered_by="op",
        )  # fmt: skip
        account.assign_appeal("2026-000001", "ivanova", NOW + timedelta(hours=1), "op")

        recordings = services.ledger.save(account)

        # A worker with an empty cache reads the same events and the same account back.
        with another_ledger(services) as reader:
            assert stored_events(reader, number) == [r.domain_event for r in recordings]
            assert reader.account(number) == account
        assert [r.notification.id for r in recordings] == sorted(
            r.notification.id for r in recordings
        )

    def test_commands_leave_the_account_as_decided(self, services: Services) -> None:
        number = new_account_number()
        registered = services.ledger.execute(appeal(number), "op", NOW)
        assert registered.appeal_number is not None

        services.ledger.execute(
            c.AssignAppeal(appeal_number=registered.appeal_number, assignee="ivanova"), "op", NOW
        )

        with another_ledger(services) as reader:
            account = reader.account(number)
            assert account is not None
            assert account.appeal(registered.appeal_number).assignee == "ivanova"
            assert [type(e).__name__ for e in stored_events(reader, number)] == [
                "Opened", "AppealRegistered", "AppealAssigned",
            ]  # fmt: skip


class TestConcurrentWrites:
    def test_writers_on_one_account_lose_nothing(self, services: Services) -> None:
        # Eight workers, each with its own Ledger, write to one account at the same moment.
        number = new_account_number()
        per_writer = 5

        def writer(w: int) -> list[Outcome]:
            with another_ledger(services) as ledger:
                return [as_told(lambda i=i: ledger.execute(  # type: ignore[misc]
                    contact(number, f"writer {w} call {i}"), f"op-{w}", NOW))
                    for i in range(per_writer)]

        outcomes = run_together([lambda w=w: writer(w) for w in range(8)])  # type: ignore[misc]

        events = stored_events(services.ledger, number)
        summaries = Counter(e.summary for e in events[1:])
        assert type(events[0]).__name__ == "Opened"
        assert summaries == Counter(
            f"writer {w} call {i}" for w in range(8) for i in range(per_writer)
        )
        assert [e.originator_version for e in events] == list(range(1, 8 * per_writer + 2))
        assert all(o.position > 0 for writer_outcomes in outcomes for o in writer_outcomes)

    def test_group_committer_stores_every_submission_once(self, services: Services) -> None:
        # Fifty callers share three accounts through one group committer.
        numbers = [new_account_number() for _ in range(3)]
        submissions = [(numbers[i % 3], f"submission {i}") for i in range(50)]

        outcomes = run_together([
            lambda n=n, s=s: services.committer.execute(contact(n, s), "op", NOW)  # type: ignore[misc]
            for n, s in submissions
        ])  # fmt: skip

        assert all(o.position > 0 and o.interaction_id is not None for o in outcomes)
        assert len({o.interaction_id for o in outcomes}) == 50
        for number in numbers:
            events = stored_events(services.ledger, number)
            recorded = {e.summary: e for e in events[1:]}
            expected = {s for n, s in submissions if n == number}
            assert len(events) - 1 == len(expected)  # each submission stored once
            assert set(recorded) == expected
            positions = [p for _, p in log_positions(services, number)]
            assert positions == sorted(set(positions))  # strictly increasing with the version
        for (number, _), outcome in zip(submissions, outcomes, strict=True):
            # The outcome's position is a write of its own account, at or after its event.
            version_of = {
                e.interaction_id: e.originator_version
                for e in stored_events(services.ledger, number)[1:]
            }
            position_of = dict(log_positions(services, number))
            assert position_of[version_of[outcome.interaction_id]] <= outcome.position
            assert outcome.position in position_of.values()
            assert outcome.account_number == number


class TestRefusals:
    def test_refused_command_stores_nothing(self, services: Services) -> None:
        registered = services.ledger.execute(appeal(new_account_number()), "op", NOW)
        assert registered.appeal_number is not None
        before = head(services)

        with pytest.raises(InvalidTransitionError):
            services.ledger.execute(
                c.CloseAppeal(appeal_number=registered.appeal_number, note="рано"), "op", NOW
            )

        assert head(services) == before

    def test_refusal_in_a_batch_spares_the_other_callers(self, services: Services) -> None:
        number = new_account_number()
        registered = services.ledger.execute(appeal(number), "op", NOW)
        assert registered.appeal_number is not None
        close = c.CloseAppeal(appeal_number=registered.appeal_number, note="рано")
        before = head(services)

        refused = services.committer.submit(close, "op", NOW)
        accepted = services.committer.submit(contact(number, "звонок"), "op", NOW)

        with pytest.raises(InvalidTransitionError):
            refused.result(timeout=30)
        assert accepted.result(timeout=30).position == head(services) > before
        # Only the accepted contact was added to the account: the refusal stored nothing.
        assert [type(e).__name__ for e in stored_events(services.ledger, number)] == [
            "Opened", "AppealRegistered", "InteractionRecorded",
        ]  # fmt: skip

    def test_unknown_appeal_is_not_found(self, services: Services) -> None:
        before = head(services)

        with pytest.raises(NotFoundError):
            services.ledger.execute(
                c.AssignAppeal(appeal_number="2026-999999999", assignee="x"), "op", NOW
            )

        assert head(services) == before


class TestAppealNumbers:
    def test_numbers_are_unique_and_formatted(self, services: Services) -> None:
        numbers = [new_account_number() for _ in range(2)]

        outcomes = [services.ledger.execute(appeal(numbers[i % 2]), "op", NOW) for i in range(6)]

        allocated = [o.appeal_number for o in outcomes]
        assert all(n is not None and APPEAL_NUMBER.match(n) for n in allocated), allocated
        assert len(set(allocated)) == 6

    def test_year_comes_from_received_at(self, services: Services) -> None:
        received = datetime(2025, 12, 31, 23, 0, tzinfo=MSK)

        outcome = services.ledger.execute(appeal(new_account_number(), received_at=received),
                                          "op", NOW)

        assert outcome.appeal_number is not None
        assert re.match(r"^2025-[0-9]{6,}$", outcome.appeal_number)

    def test_number_leads_to_its_account(self, services: Services) -> None:
        number = new_account_number()

        outcome = services.ledger.execute(appeal(number), "op", NOW)

        assert outcome.appeal_number is not None
        located = PostgresAppealNumbers(services.pool).locate(outcome.appeal_number)
        assert located == account_stream_id(number)

    def test_repeated_registration_returns_the_same_number(self, services: Services) -> None:
        number = new_account_number()
        command = appeal(number, external_id="sed-17")
        first = services.ledger.execute(command, "op", NOW)
        before = head(services)

        again = services.ledger.execute(command, "op", NOW)

        assert (again.appeal_number, again.duplicate) == (first.appeal_number, True)
        assert again.position >= first.position
        assert head(services) == before
        assert len(stored_events(services.ledger, number)) == 2  # Opened, AppealRegistered

    def test_concurrent_repeats_register_one_appeal(self, services: Services) -> None:
        # A channel delivers the same letter to four workers at once.
        number = new_account_number()
        command = appeal(number, external_id="sed-18")

        def deliver() -> Outcome:
            with another_ledger(services) as ledger:
                return ledger.execute(command, "channel", NOW)

        outcomes = run_together([deliver] * 4)

        assert len({o.appeal_number for o in outcomes}) == 1
        assert sum(not o.duplicate for o in outcomes) == 1
        registered = [e for e in stored_events(services.ledger, number)
                      if type(e).__name__ == "AppealRegistered"]
        assert len(registered) == 1

    def test_same_external_id_on_another_channel_is_another_appeal(
        self, services: Services
    ) -> None:
        number = new_account_number()
        by_mail = services.ledger.execute(appeal(number, external_id="42"), "op", NOW)

        by_email = services.ledger.execute(
            appeal(number, channel=Channel.EMAIL, external_id="42"), "op", NOW
        )

        assert not by_email.duplicate
        assert by_email.appeal_number != by_mail.appeal_number

    def test_letter_recorded_as_contact_still_registers_its_appeal(
        self, services: Services
    ) -> None:
        # One e-mail is logged as a contact and registered as an appeal under one message id.
        number = new_account_number()
        logged = services.ledger.execute(
            contact(number, "письмо", channel=Channel.EMAIL, external_id="<m1@x>"), "op", NOW
        )

        registered = services.ledger.execute(
            appeal(number, channel=Channel.EMAIL, external_id="<m1@x>"), "op", NOW
        )

        assert not registered.duplicate
        assert registered.appeal_number is not None
        assert APPEAL_NUMBER.match(registered.appeal_number)
        assert isinstance(logged.interaction_id, UUID)
