"""Which channel a notification may use: consent, and where the address came from (9.1.6)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.account import Account
from domain.notification_values import ContactKind as K
from domain.notification_values import ContactPoint, Trigger
from domain.notification_values import ContactSource as S
from domain.notification_values import NotificationChannel as C
from domain.values import AccountKind, AppealType, Channel, Contact
from tests.unit.notification_support import OPERATOR, give_email, request

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
AT = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
TRIGGER = Trigger(rule="admission.act", ref="act-7")


def account() -> Account:
    new = Account(number="1234567890", kind=AccountKind.INDIVIDUAL)
    new.collect_events()
    return new


def point(acc: Account, kind: K, value: str, source: S) -> None:
    acc.record_contact_point(ContactPoint(kind=kind, value=value, source=source, at=AT), OPERATOR)


def consent(acc: Account, *channels: C, given: bool = True, at: datetime = AT) -> None:
    for channel in channels:
        acc.record_consent(channel, given, at, OPERATOR, None)


def requested(acc: Account, *channels: C, trigger: Trigger = TRIGGER) -> Any:
    """Request through the channels; the NotificationRequested and what followed it."""
    request(acc, trigger, AT, channels)
    events = [e for e in acc.collect_events() if type(e).__name__.startswith("Notification")]
    return events[0], events[1:]


class TestConsentRules:
    def test_email_goes_to_an_address_the_client_gave_with_consent(self) -> None:
        acc = account()
        give_email(acc, AT)

        event, after = requested(acc, C.EMAIL)

        assert (event.via, event.recipient, after) == (C.EMAIL, "client@example.ru", [])

    def test_email_never_goes_to_an_address_taken_from_the_contract(self) -> None:
        acc = account()
        point(acc, K.EMAIL, "contract@example.ru", S.CONTRACT)
        consent(acc, C.EMAIL)

        event, after = requested(acc, C.EMAIL)

        assert event.via is None
        assert "given by the client (9.1.6.2)" in after[0].reason

    def test_sms_goes_only_to_a_mobile_the_client_gave(self) -> None:
        acc = account()
        point(acc, K.MOBILE, "+79001112233", S.CONTRACT)
        consent(acc, C.SMS)

        event, after = requested(acc, C.SMS)

        assert event.via is None
        assert "mobile number given by the client (9.1.6.3)" in after[0].reason

    def test_phone_auto_informing_calls_only_the_contract_numbers(self) -> None:
        acc = account()
        point(acc, K.MOBILE, "+79001112233", S.CLIENT)
        consent(acc, C.PHONE)
        refused, _ = requested(acc, C.PHONE)
        point(acc, K.PHONE, "+74951234567", S.CONTRACT)

        event, _ = requested(acc, C.PHONE, trigger=Trigger(rule="admission.act", ref="act-8"))

        assert refused.via is None
        assert (event.via, event.recipient) == (C.PHONE, "+74951234567")

    def test_no_channel_goes_without_consent(self) -> None:
        acc = account()
        point(acc, K.EMAIL, "client@example.ru", S.CLIENT)

        event, after = requested(acc, C.EMAIL)

        assert event.via is None
        assert after[0].reason == "email: no consent for this channel"

    def test_withdrawn_consent_stops_the_channel(self) -> None:
        acc = account()
        give_email(acc, AT)
        consent(acc, C.EMAIL, given=False)

        event, _ = requested(acc, C.EMAIL)

        assert event.via is None

    def test_the_first_allowed_channel_is_used_and_each_refusal_is_a_reason(self) -> None:
        acc = account()
        point(acc, K.MOBILE, "+79001112233", S.CLIENT)
        consent(acc, C.SMS)
        refused = account()

        event, _ = requested(acc, C.EMAIL, C.SMS)
        _, not_sent = requested(refused, C.EMAIL, C.SMS)

        assert (event.via, event.recipient) == (C.SMS, "+79001112233")
        assert not_sent[0].reason == ("email: no consent for this channel; "
                                      "sms: no consent for this channel")


class TestAppealNotices:
    def test_a_notice_of_an_appeal_uses_the_contact_given_in_it(self) -> None:
        acc = appeal_with_email()

        event, after = requested(acc, C.EMAIL, trigger=answer())

        assert (event.via, event.recipient, after) == (C.EMAIL, "writer@example.ru", [])

    def test_consent_withdrawn_after_the_appeal_stops_its_notices(self) -> None:
        acc = appeal_with_email()
        consent(acc, C.EMAIL, given=False, at=AT + timedelta(hours=1))

        event, after = requested(acc, C.EMAIL, trigger=answer())

        assert event.via is None
        assert "withdrawn after the appeal" in after[0].reason

    def test_consent_withdrawn_before_the_appeal_does_not_stop_its_answer(self) -> None:
        acc = account()
        consent(acc, C.EMAIL, given=False, at=AT - timedelta(days=30))
        register(acc)

        event, _ = requested(acc, C.EMAIL, trigger=answer())

        assert event.via is C.EMAIL

    def test_erased_contact_details_reach_no_one(self) -> None:
        acc = appeal_with_email()
        give_email(acc, AT)
        acc.erase_personal_data("152-ФЗ ст. 21", AT, "admin")

        event, _ = requested(acc, C.EMAIL, trigger=answer())

        assert event.via is None


class TestRecordConsent:
    def test_the_state_it_is_in_already_records_nothing(self) -> None:
        acc = account()
        consent(acc, C.SMS)

        repeated = acc.record_consent(C.SMS, True, AT, OPERATOR, None)
        withdrawn = acc.record_consent(C.SMS, False, AT, OPERATOR, None)

        assert (repeated, withdrawn) == (False, True)
        assert [type(e).__name__ for e in acc.collect_events()] == [
            "ConsentGiven", "ConsentWithdrawn"]


def register(acc: Account) -> None:
    acc.register_appeal(
        appeal_number="2026-000001", form=None, channel=Channel.EMAIL,
        appeal_type=AppealType.STATEMENT, received_at=AT, subject="Счёт", text="Счёт неверен",
        contact=Contact(email="writer@example.ru"), reply_channel=Channel.EMAIL,
        external_id=None, registered_by=OPERATOR)


def appeal_with_email() -> Account:
    acc = account()
    register(acc)
    return acc


def answer() -> Trigger:
    return Trigger(rule="appeal.answer", ref="2026-000001", appeal_number="2026-000001")
