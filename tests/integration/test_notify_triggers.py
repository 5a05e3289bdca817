"""Each trigger owes one notification, however often the log is read again (restarts)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from adapters.bootstrap import Services
from adapters.notify.notifier import Notifier
from domain import commands as c
from domain.notification_values import NotificationChannel as C
from domain.values import AppealType, Channel, Contact, WithoutConsiderationReason
from tests.integration.notify_support import act, notifications, notifier, reachable_by
from tests.integration.sla_support import contact, new_account, now, services_on, sla_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_notify_triggers_{run_id}") as url, services_on(
            url) as built:
        yield built


def appeal(services: Services, account: str, channel: Channel, received_hour: int | None = None,
           reply: Channel | None = None) -> str:
    received = now() - timedelta(minutes=5)
    if received_hour is not None:
        received = received.astimezone(services.calendar.tz).replace(hour=received_hour)
    number = act(services, c.RegisterAppeal(
        account_number=account, channel=channel, type=AppealType.STATEMENT, received_at=received,
        subject="Перерасчёт", text="Прошу пересчитать", reply_channel=reply,
        contact=Contact(email="writer@example.ru", phone="+79001234567",
                        postal_address="г. Хабаровск, ул. Мира, 2"))).appeal_number
    assert number is not None
    return str(number)


def survey(services: Services, account: str) -> None:
    reachable_by(services, account, C.EMAIL, email="client@example.ru")
    act(services, contact(account, now()))


def answer(services: Services, account: str) -> None:
    number = appeal(services, account, Channel.EMAIL, reply=Channel.EMAIL)
    act(services, c.AnswerAppeal(appeal_number=number, channel=Channel.EMAIL, text="Готово"))


def illegible(services: Services, account: str) -> None:
    number = appeal(services, account, Channel.MAIL)
    act(services, c.LeaveWithoutConsideration(
        appeal_number=number, reason=WithoutConsiderationReason.ILLEGIBLE))


def operator_joined(services: Services, account: str) -> None:
    number = appeal(services, account, Channel.CHAT, received_hour=3)
    act(services, c.AssignAppeal(appeal_number=number, assignee="petrova"))
    act(services, c.AssignAppeal(appeal_number=number, assignee="sidorova"))


@pytest.mark.parametrize(
    ("trigger", "kind", "channel"),
    [(survey, "survey", "email"), (answer, "appeal_answer", "email"),
     (illegible, "illegible_notice", "email"), (operator_joined, "operator_joined", "sms")],
    ids=["survey", "answer", "illegible", "operator-joined"],
)
class TestOncePerTrigger:
    def test_read_again_by_a_restarted_and_a_second_notifier_it_is_requested_once(
        self, services: Services, trigger: Callable[[Services, str], None], kind: str,
        channel: str,
    ) -> None:
        first = notifier(services)
        first.start_at_head()
        start = position(services)
        account = new_account()
        trigger(services, account)

        for bot in (first, rewound(services, start, first), rewound(services, start)):
            while bot.step():
                pass

        rows = notifications(services, account)
        assert [(r.kind, r.channel) for r in rows] == [(kind, channel)]


def position(services: Services) -> int:
    with services.pool.connection() as conn:
        row = conn.execute(
            "SELECT position FROM projection_positions WHERE name = 'notifier'").fetchone()
    assert row is not None
    return int(row[0])


def rewound(services: Services, to: int, bot: Notifier | None = None) -> Notifier:
    """A notifier that reads from `to` again, as after a crash before its position was kept."""
    with services.pool.connection() as conn:
        conn.execute("UPDATE projection_positions SET position = %s WHERE name = 'notifier'",
                     (to,))
    return bot or notifier(services)
