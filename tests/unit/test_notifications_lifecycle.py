"""A notification's lifecycle on its account: once per trigger, forward only, surveys' timers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain import commands as c
from domain import notification_commands as n
from domain.account import Account
from domain.calendar import BusinessCalendar
from domain.errors import NotFoundError
from domain.ledger import Ledger
from domain.notification_values import NotificationChannel as C
from domain.notification_values import NotificationKind, ReceiptOutcome, Trigger
from domain.notifications import NotificationTransitionError
from domain.values import AccountKind, AppealType, Channel, Contact, Direction
from tests.unit.notification_support import OPERATOR, give_email, request
from tests.unit.test_sla_marks import MemoryNumbers

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
AT = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
ACCOUNT = "1234567890"
ACT = Trigger(rule="admission.act", ref="act-1")


def account() -> Account:
    new = Account(number=ACCOUNT, kind=AccountKind.INDIVIDUAL)
    give_email(new, AT)
    new.collect_events()
    return new


def events(acc: Account) -> list[Any]:
    return list(acc.collect_events())


def names(acc: Account) -> list[str]:
    return [type(e).__name__ for e in acc.collect_events()]


class TestOncePerTrigger:
    def test_a_second_request_for_the_same_trigger_stores_nothing(self) -> None:
        acc = account()
        request(acc, ACT, AT)
        acc.collect_events()

        again = acc.request_notification(kind=NotificationKind.ADMISSION_ACT, trigger=ACT,
                                         channels=(C.EMAIL,), subject="Тема", text="Текст",
                                         at=AT + timedelta(hours=1))

        assert again is False
        assert names(acc) == []

    def test_the_ledger_reports_a_repeat_as_a_duplicate(self, ledger: Ledger) -> None:
        ledger.execute(c.RecordInteraction(
            account_number=ACCOUNT, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=AT, summary="Звонок"), OPERATOR, AT)
        command = n.RequestNotification(
            account_number=ACCOUNT, kind=NotificationKind.ADMISSION_ACT, trigger=ACT,
            channels=(C.EMAIL,), subject="Тема", text="Текст", at=AT)

        first = ledger.execute(command, OPERATOR, AT)
        second = ledger.execute(command, OPERATOR, AT)

        assert (first.duplicate, second.duplicate) == (False, True)
        assert second.position == first.position

    def test_an_unknown_account_is_not_found_and_nothing_is_stored(self, ledger: Ledger) -> None:
        command = n.RequestNotification(
            account_number="9999999999", kind=NotificationKind.ADMISSION_ACT, trigger=ACT,
            channels=(C.EMAIL,), subject="Тема", text="Текст", at=AT)

        with pytest.raises(NotFoundError):
            ledger.execute(command, OPERATOR, AT)

        assert ledger.account("9999999999") is None


class TestSteps:
    def test_receipts_move_it_forward_only(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)
        acc.record_sent(nid, "<1@ledger>", AT)
        acc.record_receipt(nid, ReceiptOutcome.READ, None, AT)

        late_delivery = acc.record_receipt(nid, ReceiptOutcome.DELIVERED, None, AT)
        resend = acc.record_sent(nid, "<1@ledger>", AT)

        assert (late_delivery, resend) == (False, False)
        assert acc.notice(nid).status == "read"

    def test_a_receipt_before_it_was_sent_is_refused(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)

        with pytest.raises(NotificationTransitionError, match="REQUESTED"):
            acc.record_receipt(nid, ReceiptOutcome.DELIVERED, None, AT)

    def test_a_bounce_fails_it_with_the_gateways_reason(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)
        acc.record_sent(nid, "<1@ledger>", AT)
        acc.collect_events()

        acc.record_receipt(nid, ReceiptOutcome.BOUNCED, "550 no such user", AT)

        (failed,) = events(acc)
        assert (type(failed).__name__, failed.reason, failed.bounced) == (
            "NotificationFailed", "550 no such user", True)

    def test_a_phone_call_put_through_to_an_operator_counts_as_delivered(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)
        acc.record_sent(nid, "ivr-1", AT)
        acc.collect_events()

        acc.record_receipt(nid, ReceiptOutcome.TRANSFERRED, None, AT)

        (delivered,) = events(acc)
        assert delivered.transferred is True


class TestSurvey:
    def test_sending_the_survey_meets_its_contacts_timer(self) -> None:
        acc = account()
        survey = Trigger(rule="survey.send", ref="interaction:x", interaction_id=acc.id)
        nid = request(acc, survey, AT, kind=NotificationKind.SURVEY)
        acc.collect_events()

        acc.record_sent(nid, "<s@ledger>", AT)

        _, survey_sent = events(acc)
        assert type(survey_sent).__name__ == "SurveySent"
        assert (survey_sent.interaction_id, survey_sent.at) == (acc.id, AT)

    def test_a_survey_that_cannot_go_out_cancels_its_timer(self) -> None:
        acc = account()
        survey = Trigger(rule="survey.send", ref="interaction:y", interaction_id=acc.id)

        request(acc, survey, AT, (C.SMS,), NotificationKind.SURVEY)

        assert names(acc) == ["NotificationRequested", "NotificationNotSent", "SurveyNotSent"]


class TestOperatorJoined:
    def test_owed_only_when_the_client_was_told_to_wait(self) -> None:
        acc = chat_appeals()

        waited = request(acc, joined("2026-000001"), AT, (C.PUSH, C.SMS),
                         NotificationKind.OPERATOR_JOINED)
        request(acc, joined("2026-000002"), AT, (C.PUSH, C.SMS),
                NotificationKind.OPERATOR_JOINED)

        assert list(acc.notices) == [waited]

    def test_goes_by_sms_unless_the_appeal_came_through_the_app(self) -> None:
        acc = chat_appeals()

        nid = request(acc, joined("2026-000001"), AT, (C.PUSH, C.SMS),
                      NotificationKind.OPERATOR_JOINED)

        assert acc.notice(nid).channel is C.SMS


def chat_appeals() -> Account:
    """Two chat appeals, the first received out of hours, both with a phone to reach."""
    acc = account()
    for number in ("2026-000001", "2026-000002"):
        acc.register_appeal(
            appeal_number=number, form=None, channel=Channel.CHAT, appeal_type=AppealType.INQUIRY,
            received_at=AT, subject="Вопрос", text="Когда перерасчёт?",
            contact=Contact(phone="+79001112233"), reply_channel=None, external_id=None,
            registered_by="chat")
    acc.reply_out_of_hours("2026-000001", AT + timedelta(hours=10), AT)
    acc.collect_events()
    return acc


def joined(number: str) -> Trigger:
    return Trigger(rule="operator.joined", ref=number, appeal_number=number)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo",
           "MAPPER_TOPIC": "adapters.transcoder:MsgspecMapper"}
    app = Ledger(env, numbers=MemoryNumbers(), calendar=BusinessCalendar())
    yield app
    app.close()
