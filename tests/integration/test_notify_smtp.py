"""The survey by e-mail end to end: a call, the notifier, the dispatcher, a real SMTP server."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from adapters.bootstrap import Services
from adapters.notify.notifier import Notifier
from domain.notification_values import NotificationChannel as C
from projections.sla_timer_queries import TimerFilter, read_timers
from tests.integration.notify_support import (
    Mailbox,
    act,
    dispatcher,
    event_names,
    notifications,
    notifier,
    one,
    project,
    reachable_by,
)
from tests.integration.sla_support import contact, new_account, now, services_on, sla_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def url(pg_server_url: str, run_id: str) -> Iterator[str]:
    with sla_database(pg_server_url, f"ledger_notify_smtp_{run_id}") as created:
        yield created


@pytest.fixture(scope="module")
def services(url: str) -> Iterator[Services]:
    with services_on(url) as built:
        yield built


@pytest.fixture(scope="module")
def bot(services: Services) -> Notifier:
    found = notifier(services)
    found.start_at_head()
    return found


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.start()
    yield box
    box.stop()


def drain(bot: Notifier) -> None:
    while bot.step():
        pass


def called(services: Services, bot: Notifier, email: str = "client@example.ru") -> str:
    """An account whose client gave an e-mail with consent and has just called."""
    account = new_account()
    reachable_by(services, account, C.EMAIL, email=email)
    act(services, contact(account, now(), external_id=f"call-{account}"))
    drain(bot)
    project(services)
    return account


class TestSurveyByEmail:
    async def test_a_call_is_followed_by_the_survey_with_the_required_subject(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        account = called(services, bot)

        await dispatcher(services, {C.EMAIL: mailbox.gateway()}).step()

        (mail,) = [m for m in mailbox.received if account in str(m["Subject"])]
        day = services.calendar.local_date(now()).strftime("%d.%m.%Y")
        assert mail["Subject"] == (
            f"Оценка качества обслуживания: обращение call-{account}, ЛС {account}, {day}")
        assert mail["To"] == "client@example.ru"
        assert f"ref=call-{account}" in mail.get_body().get_content()  # type: ignore[union-attr]

    async def test_sending_it_meets_the_contacts_survey_timer(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        account = called(services, bot)

        await dispatcher(services, {C.EMAIL: mailbox.gateway()}).step()
        project(services)

        assert event_names(services, account, "S")[-1] == "SurveySent"
        with services.pool.connection() as conn:
            (timer,) = read_timers(conn, TimerFilter(account_number=account), now(), 10)
        assert (timer.timer.kind, timer.timer.outcome) == ("survey.send", "met")
        assert timer.timer.met_at is not None
        assert timer.timer.met_at - timer.timer.started_at < timedelta(hours=24)

    async def test_the_history_shows_it_sent_through_email(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        account = called(services, bot)

        await dispatcher(services, {C.EMAIL: mailbox.gateway()}).step()

        (row,) = notifications(services, account)
        assert (row.kind, row.channel, row.status) == ("survey", "email", "sent")
        assert row.gateway_message_id == f"<{row.notification_id}@example.ru>"


    def test_without_consent_it_is_not_sent_and_the_timer_is_cancelled_not_breached(
        self, services: Services, bot: Notifier
    ) -> None:
        account = new_account()
        act(services, contact(account, now()))
        drain(bot)
        project(services)

        (row,) = notifications(services, account)
        with services.pool.connection() as conn:
            (timer,) = read_timers(conn, TimerFilter(account_number=account), now(), 10)
        assert (row.status, row.reason) == ("not_sent", "email: no consent for this channel")
        assert timer.timer.outcome == "cancelled"


class TestOutage:
    async def test_a_mail_server_that_is_down_delays_the_survey_never_drops_it(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        account = called(services, bot)
        mailbox.stop()
        sender = dispatcher(services, {C.EMAIL: mailbox.gateway()})
        await sender.step()
        waiting = notifications(services, account)[0].status
        mailbox.start()

        await asyncio.sleep(0.3)  # the back-off of the test dispatcher: at most 0.2 s
        await sender.step()

        assert waiting == "requested"
        assert notifications(services, account)[0].status == "sent"
        assert len([m for m in mailbox.received if account in str(m["Subject"])]) == 1

    async def test_an_address_the_server_refuses_fails_with_its_reason(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        mailbox.refuse.add("gone@example.ru")
        account = called(services, bot, email="gone@example.ru")

        await dispatcher(services, {C.EMAIL: mailbox.gateway()}).step()

        (row,) = notifications(services, account)
        assert row.status == "failed"
        assert row.reason is not None and "550" in row.reason


class TestExactlyOnce:
    async def test_a_sent_survey_is_not_claimed_again_while_the_read_model_lags(
        self, services: Services, bot: Notifier, mailbox: Mailbox
    ) -> None:
        account = called(services, bot)
        sender = dispatcher(services, {C.EMAIL: mailbox.gateway()})
        await sender.step()
        with services.pool.connection() as conn:  # its lease runs out before the projection
            conn.execute("UPDATE notify_dispatch SET lease_until = '-infinity'")

        again = await sender.step()

        assert again == 0
        assert len([m for m in mailbox.received if account in str(m["Subject"])]) == 1


    def test_reading_the_same_events_again_requests_nothing_twice(
        self, services: Services, bot: Notifier
    ) -> None:
        (before,) = one(services, "SELECT position FROM projection_positions"
                                  " WHERE name = 'notifier'")
        account = called(services, bot)
        requested = bot.requested
        with services.pool.connection() as conn:  # as after a crash before the position
            conn.execute("UPDATE projection_positions SET position = %s"
                         " WHERE name = 'notifier'", (before,))

        drain(bot)

        assert bot.requested == requested
        assert event_names(services, account, "NotificationRequested") == [
            "NotificationRequested"]

    def test_two_notifiers_side_by_side_request_each_survey_once(
        self, url: str, services: Services, bot: Notifier
    ) -> None:
        accounts = [new_account() for _ in range(20)]
        for account in accounts:
            reachable_by(services, account, C.EMAIL, email="client@example.ru")
            act(services, contact(account, now()))
        with services_on(url) as other:
            bots = [bot, notifier(other)]
            threads = [threading.Thread(target=drain, args=(b,)) for b in bots]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        counts = {a: len(event_names(services, a, "NotificationRequested")) for a in accounts}
        assert set(counts.values()) == {1}
