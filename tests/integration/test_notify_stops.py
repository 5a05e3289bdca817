"""What must never go out, on real PostgreSQL with a local SMTP server and SMS provider: a
second copy after a slow server, a message after consent was withdrawn or the data erased, and
no receipt may fail a notification that was never sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from adapters.bootstrap import Services
from adapters.notify.receipts import Receipt, record_receipt
from adapters.personal_data import erase
from domain import commands as c
from domain import notification_commands as n
from domain.notification_values import NotificationChannel as C
from domain.notification_values import NotificationKind, ReceiptOutcome, Trigger
from domain.notifications import NotificationTransitionError
from tests.integration.notify_support import (
    Mailbox,
    SmsProvider,
    act,
    dispatcher,
    notifications,
    project,
    reachable_by,
)
from tests.integration.sla_support import (
    OPERATOR,
    new_account,
    now,
    services_on,
    sla_database,
)

pytestmark = pytest.mark.integration

BACK_OFF = 0.3
"""Longer than the test dispatcher's longest back-off (0.2 s)."""


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_notify_stops_{run_id}") as url, services_on(
            url) as built:
        yield built


class SlowMailbox(Mailbox):
    """Answers every command within the gateway's 2 s, but a whole send takes ~2.4 s."""

    delay = 1.2

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,  # noqa: N802
                          address: str, options: list[str]) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_RCPT(server, session, envelope, address, options)

    async def handle_DATA(self, server: SMTP, session: Session,  # noqa: N802
                          envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def slow_mailbox() -> Iterator[SlowMailbox]:
    box = SlowMailbox()
    box.start()
    yield box
    box.stop()


def requested(services: Services, channel: C, **address: str) -> str:
    """An account reachable through the channel, with one notification requested on it."""
    account = new_account()
    reachable_by(services, account, channel, **address)
    act(services, n.RequestNotification(
        account_number=account, kind=NotificationKind.ADMISSION_ACT, channels=(channel,),
        trigger=Trigger(rule="admission.act", ref=f"act-{account}"), subject="Акт допуска",
        text=f"Акт допуска по ЛС {account}", at=now()))
    project(services)
    return account


class TestSlowServer:
    async def test_a_slow_mail_server_gets_the_mail_once_and_it_is_recorded_sent(
        self, services: Services, slow_mailbox: SlowMailbox
    ) -> None:
        account = requested(services, C.EMAIL, email="slow@example.ru")
        sender = dispatcher(services, {C.EMAIL: slow_mailbox.gateway()})

        await sender.step()
        await asyncio.sleep(BACK_OFF)
        await sender.step()
        await asyncio.sleep(SlowMailbox.delay * 3)  # a send our timeout abandoned lands late

        copies = [m for m in slow_mailbox.received if account in str(m["Subject"]) or
                  account in m.get_body().get_content()]  # type: ignore[union-attr]
        (row,) = notifications(services, account)
        assert len(copies) == 1
        assert row.status == "sent"


async def stopped_while_waiting(
    services: Services, provider: SmsProvider, mobile: str, stop: Callable[[str], object]
) -> tuple[str, str | None]:
    """An SMS waits out a gateway outage, `stop(account)` happens, the gateway comes back:
    the notification's status and reason then."""
    account = requested(services, C.SMS, mobile=mobile)
    provider.mode = "down"
    sender = dispatcher(services, {C.SMS: provider.gateway()})
    await sender.step()

    stop(account)
    project(services)
    provider.mode = "ok"
    await asyncio.sleep(BACK_OFF)
    await sender.step()

    (row,) = notifications(services, account)
    return row.status, row.reason


class TestStopped:
    async def test_withdrawn_consent_stops_a_waiting_sms(
        self, services: Services, provider: SmsProvider
    ) -> None:
        def withdraw(account: str) -> None:
            act(services, n.RecordConsent(account_number=account, channel=C.SMS, given=False))

        outcome = await stopped_while_waiting(services, provider, "+79001234567", withdraw)

        assert outcome == ("not_sent", "consent for sms withdrawn")
        assert provider.received == []

    async def test_erased_personal_data_stops_a_waiting_sms(
        self, services: Services, provider: SmsProvider
    ) -> None:
        def erased(account: str) -> None:
            erase(services.ledger, services.committer, services.keys,
                  c.ErasePersonalData(account_number=account, ground="152-ФЗ ст. 21"), OPERATOR)

        outcome = await stopped_while_waiting(services, provider, "+79001234568", erased)

        assert outcome == ("not_sent", "personal data erased")
        assert provider.received == []


class TestReceipts:
    async def test_a_failed_receipt_cannot_fail_a_notification_never_sent(
        self, services: Services, provider: SmsProvider
    ) -> None:
        account = requested(services, C.SMS, mobile="+79001234569")
        (waiting,) = notifications(services, account)
        receipt = Receipt(notification_id=waiting.notification_id,
                          status=ReceiptOutcome.FAILED, at=now(), reason="no such number")

        with pytest.raises(NotificationTransitionError, match="REQUESTED"):
            record_receipt(services.pool, services.committer, "sms", receipt, "receipts")
        await dispatcher(services, {C.SMS: provider.gateway()}).step()

        (row,) = notifications(services, account)
        assert row.status == "sent"
        assert [r["reference"] for r in provider.received] == [str(row.notification_id)]
