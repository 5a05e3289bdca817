"""SMS over HTTP, post, push and phone over NATS, and receipts coming back through NATS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import nats
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.bootstrap import Services
from adapters.nats.streams import Subjects, ensure_streams
from adapters.notify.letters import open_letter
from adapters.notify.nats_out import NatsGateway, NotifySubjects
from adapters.notify.notifier import Notifier
from adapters.notify.post import PostGateway
from adapters.notify.receipt_worker import ReceiptConsumer
from adapters.settings import load_settings
from domain import commands as c
from domain import notification_commands as n
from domain.notification_values import ContactKind, ContactSource, NotificationKind, Trigger
from domain.notification_values import NotificationChannel as C
from domain.values import AppealType, Channel, Contact, WithoutConsiderationReason
from tests.conftest import NatsNames
from tests.integration.notify_support import (
    SmsProvider,
    act,
    dispatcher,
    event_names,
    notifications,
    notifier,
    one,
    project,
    reachable_by,
)
from tests.integration.sla_support import new_account, now, services_on, sla_database

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_notify_gw_{run_id}") as url, services_on(
            url) as built:
        yield built


@pytest.fixture(scope="module")
def bot(services: Services) -> Notifier:
    found = notifier(services)
    found.start_at_head()
    return found


@pytest.fixture
async def js(nats_server_url: str) -> AsyncIterator[tuple[Client, JetStreamContext]]:
    client = await nats.connect(nats_server_url)
    yield client, client.jetstream()
    await client.drain()


@pytest.fixture
def subjects(nats_names: NatsNames) -> Subjects:
    return Subjects(prefix=f"{nats_names.subject_prefix}_notify",
                    stream=f"{nats_names.stream}_NOTIFYGW")


def drain(bot: Notifier) -> None:
    while bot.step():
        pass
    return None


def register(services: Services, account: str, channel: Channel, contact: Contact,
             reply: Channel | None = None) -> str:
    number = act(services, c.RegisterAppeal(
        account_number=account, channel=channel, type=AppealType.STATEMENT,
        received_at=now() - timedelta(minutes=5), subject="Перерасчёт", text="Прошу пересчитать",
        contact=contact, reply_channel=reply)).appeal_number
    assert number is not None
    return str(number)


class TestSms:
    async def test_the_provider_receives_the_number_the_text_and_our_reference(
        self, services: Services, bot: Notifier, provider: SmsProvider
    ) -> None:
        account = new_account()
        reachable_by(services, account, C.SMS, mobile="+79001112233")
        act(services, n.RequestNotification(
            account_number=account, kind=NotificationKind.VERIFICATION_REMINDER,
            channels=(C.SMS,), trigger=Trigger(rule="meter.verification", ref="M-1"),
            subject="Поверка", text="Срок поверки истекает", at=now()))
        project(services)

        await dispatcher(services, {C.SMS: provider.gateway()}).step()

        (row,) = notifications(services, account)
        assert provider.received[-1] == {"to": "+79001112233", "text": "Срок поверки истекает",
                                         "reference": str(row.notification_id)}
        assert provider.headers[-1]["Authorization"] == "Bearer sms-secret"
        assert (row.status, row.gateway_message_id) == ("sent", f"sms-{len(provider.received)}")

    async def test_a_provider_that_is_down_delays_it_and_it_goes_out_once_back(
        self, services: Services, bot: Notifier, provider: SmsProvider
    ) -> None:
        account = operator_joined(services, bot)
        provider.mode = "down"
        sender = dispatcher(services, {C.SMS: provider.gateway()})
        for _ in range(3):
            await sender.step()
            await asyncio.sleep(0.25)
        waiting = notifications(services, account)[0]
        provider.mode = "ok"

        await sender.step()

        assert waiting.status == "requested"
        (row,) = notifications(services, account)
        assert row.status == "sent"
        assert [r["to"] for r in provider.received] == ["+79005556677"]
        (attempts,) = one(services, "SELECT attempts FROM notify_dispatch WHERE"
                                    " notification_id = %s", row.notification_id)
        assert attempts == 4

    async def test_a_number_the_provider_refuses_fails_with_its_answer(
        self, services: Services, bot: Notifier, provider: SmsProvider
    ) -> None:
        account = operator_joined(services, bot)
        provider.mode = "refuse"

        await dispatcher(services, {C.SMS: provider.gateway()}).step()

        (row,) = notifications(services, account)
        assert row.status == "failed"
        assert row.reason is not None and "400" in row.reason


class TestPost:
    async def test_an_illegible_letter_gets_a_print_ready_notice_once(
        self, services: Services, bot: Notifier
    ) -> None:
        account = new_account()
        number = register(services, account, Channel.MAIL,
                          Contact(name="Иванов", postal_address="г. Владивосток, ул. Ленина, 1"))
        act(services, c.LeaveWithoutConsideration(
            appeal_number=number, reason=WithoutConsiderationReason.ILLEGIBLE))
        drain(bot)
        drain(bot)
        project(services)

        await dispatcher(services, {C.POST: PostGateway(services.pool, services.calendar.tz,
                                                        services.keys)}).step()

        (row,) = notifications(services, account)
        assert (row.kind, row.channel, row.status) == ("illegible_notice", "post", "sent")
        stored = one(services, "SELECT letter_id, account_number, address, subject, body,"
                               " sealed, key_generation FROM notify_letters WHERE letter_id = %s",
                     row.notification_id)
        letter = open_letter(services.keys, stored)
        assert letter.address == "г. Владивосток, ул. Ленина, 1"
        assert f"№ {number}" in letter.body and "не поддаётся прочтению" in letter.body


class TestNats:
    async def test_push_goes_to_the_app_subject_and_a_receipt_delivers_it(
        self, services: Services, bot: Notifier, js: tuple[Client, JetStreamContext],
        subjects: Subjects,
    ) -> None:
        _, stream = js
        notify = NotifySubjects(subjects)
        await notify.ensure(stream, load_settings())
        account = new_account()
        number = register(services, account, Channel.MOBILE_APP, Contact(name="Иванов"),
                          Channel.MOBILE_APP)
        act(services, c.AnswerAppeal(appeal_number=number, channel=Channel.MOBILE_APP,
                                     text="Перерасчёт выполнен"))
        drain(bot)
        project(services)
        inbox = await stream.subscribe(notify.outbound("push"), stream=notify.stream,
                                       deliver_policy=nats.js.api.DeliverPolicy.NEW)

        await dispatcher(services, {C.PUSH: NatsGateway(stream, notify, "push")}).step()
        message = json.loads((await inbox.next_msg(timeout=5)).data)
        await stream.publish(notify.receipts("push"), json.dumps({
            "notificationId": message["notificationId"], "status": "read",
            "at": now().isoformat()}).encode(), stream=notify.stream)
        consumer = ReceiptConsumer(services.pool, services.committer, subjects)
        await consume(consumer, stream)

        assert (message["accountNumber"], message["kind"]) == (account, "appeal_answer")
        assert "Перерасчёт выполнен" in message["text"]
        (row,) = notifications(services, account)
        assert (row.channel, row.status) == ("push", "read")

    async def test_a_receipt_that_names_nothing_goes_to_the_dead_letters(
        self, services: Services, js: tuple[Client, JetStreamContext], subjects: Subjects,
    ) -> None:
        client, stream = js
        notify = NotifySubjects(subjects)
        await notify.ensure(stream, load_settings())
        await ensure_streams(stream, subjects, load_settings())  # the dead letters' stream
        dead = await client.subscribe(subjects.dlq("receipts"))
        await stream.publish(notify.receipts("sms"), b'{"status": "lost"}', stream=notify.stream)
        consumer = ReceiptConsumer(services.pool, services.committer, subjects)

        await consume(consumer, stream)

        letter = await dead.next_msg(timeout=5)
        assert letter.headers is not None
        assert letter.headers["Ledger-Error-Code"] == "VALIDATION"


async def consume(consumer: ReceiptConsumer, js: JetStreamContext) -> None:
    """Run the consumer until it has settled what is waiting."""
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(js, stop))
    await asyncio.sleep(1.5)
    stop.set()
    await task


def operator_joined(services: Services, bot: Notifier) -> str:
    """A chat appeal received at night, taken up by an operator: an SMS is owed (9.1.5)."""
    account = new_account()
    act(services, n.RecordContactPoint(account_number=account, kind=ContactKind.MOBILE,
                                       value="+79005556677", source=ContactSource.CLIENT))
    night = now().astimezone(services.calendar.tz).replace(hour=2)
    number = act(services, c.RegisterAppeal(
        account_number=account, channel=Channel.CHAT, type=AppealType.INQUIRY, received_at=night,
        subject="Вопрос", text="Когда перерасчёт?", contact=Contact(phone="+79005556677"),
    )).appeal_number
    act(services, c.AssignAppeal(appeal_number=number, assignee="petrova"))
    drain(bot)
    project(services)
    assert event_names(services, account, "OutOfHours") == ["OutOfHoursReplied"]
    return account

