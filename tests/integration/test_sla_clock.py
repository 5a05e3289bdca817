"""The SLA clock on real PostgreSQL: each warning and breach once, whatever the clocks running."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import pytest
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg import sql

from adapters.bootstrap import Services
from adapters.clock import SlaClock
from domain import commands as c
from domain.values import AppealType, Channel
from projections.sla_timer_queries import read_marks_due
from tests.integration.sla_support import (
    MSK,
    act,
    catch_up,
    events,
    marks,
    new_account,
    now,
    register,
    services_on,
    sla_database,
    timers,
)

pytestmark = pytest.mark.integration

FRIDAY = datetime(2026, 2, 20, 12, 0, tzinfo=MSK)
THURSDAY = datetime(2026, 6, 11, 12, 0, tzinfo=MSK)
MARKS_PER_TIMER = 3  # 70 %, 90 %, the breach


@pytest.fixture(scope="module")
def url(pg_server_url: str, run_id: str) -> Iterator[str]:
    with sla_database(pg_server_url, f"ledger_sla_clock_{run_id}") as created:
        yield created


@pytest.fixture(scope="module")
def services(url: str) -> Iterator[Services]:
    with services_on(url) as built:
        yield built


class TestWorkedExamples:
    @pytest.mark.parametrize(
        ("received", "registration", "answer", "extended", "written"),
        [
            (FRIDAY, date(2026, 2, 24), date(2026, 2, 26), date(2026, 3, 10), date(2026, 3, 23)),
            (THURSDAY, date(2026, 6, 15), date(2026, 6, 17), date(2026, 6, 26),
             date(2026, 7, 13)),
        ],
    )
    def test_timers_fall_due_as_sla_md_counts(
        self, services: Services, received: datetime, registration: date, answer: date,
        extended: date, written: date,
    ) -> None:
        account = new_account()
        letter = register(services, account, received, Channel.MAIL)
        chat = register(services, account, received, Channel.CHAT, AppealType.INQUIRY)
        act(services, c.ExtendAppeal(appeal_number=chat, reason="Проверка", at=received))
        catch_up(services)

        by_kind = {**timers(services, letter), **timers(services, chat)}

        due = {kind: view.timer.due_date for kind, view in by_kind.items()}
        assert due == {"written.registration": registration, "written.answer": written,
                       "interactive.answer": answer, "interactive.extended": extended}
        assert by_kind["interactive.answer"].timer.outcome == "cancelled"


class TestTwoClocks:
    def test_scanning_at_the_same_time_store_each_mark_once(self, url: str) -> None:
        with services_on(url) as first, services_on(url) as second:
            account = new_account()
            for day in range(3):
                register(first, account, FRIDAY + timedelta(days=day))
            catch_up(first)
            one, other = SlaClock(first, interval=0.01), SlaClock(second, interval=0.01)
            owed = all_owed(first)

            side_by_side(one.scan, other.scan)

            assert Counter(marks(first, account)).most_common(1)[0][1] == 1
            assert len(marks(first, account)) == 3 * 2 * MARKS_PER_TIMER
            assert one.recorded + other.recorded == owed  # each claimed by one clock
            assert one.repeats + other.repeats == owed  # the other saw it stored and did nothing

    def test_record_each_warning_and_breach_exactly_once(self, url: str) -> None:
        with services_on(url) as first, services_on(url) as second:
            accounts = [new_account() for _ in range(4)]
            for account in accounts:
                for day in range(3):  # three appeals a stream: the clocks race on each stream
                    register(first, account, FRIDAY + timedelta(days=day))
            first.start_projections(["sla_timers"])
            marks_before = stored_marks(first)

            recorded = race(SlaClock(first, interval=0.05), SlaClock(second, interval=0.05),
                            expected=len(accounts) * 3 * 2 * MARKS_PER_TIMER,
                            accounts=accounts, services=first)

            stored = Counter(m for a in accounts for m in marks(first, a))
            assert len(stored) == len(accounts) * 3 * 2 * MARKS_PER_TIMER
            assert set(stored.values()) == {1}
            assert recorded == stored_marks(first) - marks_before  # each claimed by one clock


def stored_marks(services: Services) -> int:
    """How many SLA marks the whole log holds."""
    recorder = services.ledger.recorder
    assert isinstance(recorder, PostgresApplicationRecorder)
    query = sql.SQL("SELECT count(*) FROM {} WHERE topic LIKE %s").format(
        sql.Identifier(*recorder.events_table_name.split(".")))
    with services.pool.connection() as conn:
        row = conn.execute(query, ("%:Account.Sla%",)).fetchone()
    assert row is not None
    return int(row[0])


def all_owed(services: Services) -> int:
    """How many marks the read model says are owed now, over the whole database."""
    with services.pool.connection() as conn:
        due = read_marks_due(conn, now(), 100_000)
    return sum(len(view.timer.owed(now())) for view in due)


def side_by_side(*scans: Callable[[], int]) -> None:
    """Start the scans at the same instant in threads and wait for them."""
    start = threading.Barrier(len(scans))

    def run(scan: Callable[[], int]) -> None:
        start.wait()
        scan()

    threads = [threading.Thread(target=run, args=(scan,)) for scan in scans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def race(
    one: SlaClock, other: SlaClock, expected: int, accounts: list[str], services: Services
) -> int:
    """Run both clocks' scans side by side until every mark is stored; marks recorded in all."""
    counts: list[int] = []
    stop, start = threading.Event(), threading.Barrier(2)

    def loop(clock: SlaClock) -> None:
        start.wait()
        while not stop.is_set():
            counts.append(clock.scan())

    threads = [threading.Thread(target=loop, args=(clock,)) for clock in (one, other)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while sum(len(marks(services, a)) for a in accounts) < expected:
        assert time.monotonic() < deadline, "the clocks did not record every mark in 60 s"
        time.sleep(0.1)
    time.sleep(0.5)  # let a late duplicate show itself, if there were one
    stop.set()
    for thread in threads:
        thread.join()
    return sum(counts)


def clock_at(services: Services, moment: datetime) -> SlaClock:
    """A clock whose `now` is fixed: the moment it comes back up, say."""
    catch_up(services)
    return SlaClock(services, interval=0.01, now=lambda: moment)


class TestDownAndUp:
    def test_marks_appear_once_their_moment_has_passed(self, services: Services) -> None:
        account = new_account()
        number = register(services, account, THURSDAY, Channel.CHAT, AppealType.INQUIRY)
        catch_up(services)
        timer = timers(services, number)["interactive.answer"].timer
        first_warning = timer.warn_instants[0]

        clock_at(services, first_warning - timedelta(seconds=1)).scan()
        before = marks(services, account)
        clock_at(services, first_warning).scan()

        assert before == []
        assert marks(services, account) == [(timer.timer_id, 0.7)]

    def test_a_clock_that_was_down_catches_up_on_start(self, services: Services) -> None:
        account = new_account()
        number = register(services, account, FRIDAY, Channel.CHAT, AppealType.INQUIRY)
        catch_up(services)
        timer = timers(services, number)["interactive.answer"].timer
        clock_at(services, FRIDAY + timedelta(hours=1)).scan()

        clock_at(services, timer.due_at + timedelta(days=3)).scan()
        caught_up = marks(services, account)
        clock_at(services, timer.due_at + timedelta(days=4)).scan()  # restarted

        assert caught_up == [
            (timer.timer_id, 0.7), (timer.timer_id, 0.9), (timer.timer_id, None)]
        assert marks(services, account) == caught_up
        stored = [e for e in events(services, account) if type(e).__name__ != "Opened"]
        assert [e.at for e in stored[1:]] == [*timer.warn_instants, timer.due_at]

    def test_a_timer_met_in_time_is_never_marked(self, services: Services) -> None:
        account = new_account()
        number = register(services, account, FRIDAY, Channel.CHAT, AppealType.INQUIRY)
        act(services, c.AnswerAppeal(appeal_number=number, channel=Channel.CHAT, text="Ответ",
                                     at=FRIDAY + timedelta(hours=2)))

        clock_at(services, FRIDAY + timedelta(days=30)).scan()

        assert marks(services, account) == []
