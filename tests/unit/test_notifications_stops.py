"""Pending notifications stop when the channel's consent is withdrawn or the data erased; a
receipt fails only what was sent; the campaign hours are checked and may run overnight."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from adapters.settings import SettingsError, load_settings
from domain.account import Account
from domain.campaign import Campaign, CampaignStatus
from domain.campaign_commands import AllowedHours
from domain.campaign_list import ListedRecipient
from domain.notification_values import (
    ContactKind,
    ContactPoint,
    ContactSource,
    ReceiptOutcome,
    Trigger,
)
from domain.notification_values import NotificationChannel as C
from domain.notifications import NotificationTransitionError
from domain.values import AccountKind
from tests.unit.notification_support import OPERATOR, give_email, request

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
AT = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
ACT = Trigger(rule="admission.act", ref="act-1")


def account() -> Account:
    """A client reachable by e-mail and SMS, with consent for both."""
    new = Account(number="1234567890", kind=AccountKind.INDIVIDUAL)
    give_email(new, AT)
    new.record_contact_point(ContactPoint(kind=ContactKind.MOBILE, value="+79001112233",
                                          source=ContactSource.CLIENT, at=AT), OPERATOR)
    new.record_consent(C.SMS, True, AT, OPERATOR, None)
    new.collect_events()
    return new


def stored(acc: Account) -> list[tuple[str, Any]]:
    """The new events' names, with the reason where they have one."""
    return [(type(e).__name__, getattr(e, "reason", None)) for e in acc.collect_events()]


class TestConsentWithdrawn:
    def test_a_waiting_notification_on_that_channel_is_not_sent(self) -> None:
        acc = account()
        by_sms = request(acc, ACT, AT, (C.SMS,))
        by_email = request(acc, Trigger(rule="admission.act", ref="act-2"), AT)
        acc.collect_events()

        acc.record_consent(C.SMS, False, AT + timedelta(minutes=1), OPERATOR, None)

        assert stored(acc) == [("ConsentWithdrawn", None),
                               ("NotificationNotSent", "consent for sms withdrawn")]
        assert (acc.notice(by_sms).status, acc.notice(by_email).status) == (
            "not_sent", "requested")

    def test_a_send_in_flight_at_the_withdrawal_is_still_recorded_sent(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT, (C.SMS,))
        acc.record_consent(C.SMS, False, AT, OPERATOR, None)
        acc.collect_events()

        recorded = acc.record_sent(nid, "sms-1", AT + timedelta(seconds=1))

        assert recorded is True
        assert [name for name, _ in stored(acc)] == ["NotificationSent"]


class TestErased:
    def test_every_waiting_notification_is_not_sent_before_the_erasure(self) -> None:
        acc = account()
        request(acc, ACT, AT, (C.SMS,))
        request(acc, Trigger(rule="admission.act", ref="act-2"), AT)
        sent = request(acc, Trigger(rule="admission.act", ref="act-3"), AT)
        acc.record_sent(sent, "<3@ledger>", AT)
        acc.collect_events()

        acc.erase_personal_data("152-ФЗ ст. 21", AT, "admin")

        assert stored(acc) == [("NotificationNotSent", "personal data erased"),
                               ("NotificationNotSent", "personal data erased"),
                               ("PersonalDataErased", None)]
        assert acc.notice(sent).status == "sent"


class TestFailedReceipt:
    def test_a_failed_receipt_for_a_notification_never_sent_is_refused(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)

        with pytest.raises(NotificationTransitionError, match="REQUESTED"):
            acc.record_receipt(nid, ReceiptOutcome.FAILED, "x", AT)

        assert acc.notice(nid).status == "requested"

    def test_the_gateways_own_refusal_still_fails_it(self) -> None:
        acc = account()
        nid = request(acc, ACT, AT)
        acc.collect_events()

        acc.record_refused(nid, "400 bad number", AT)

        assert stored(acc) == [("NotificationFailed", "400 bad number")]


class TestCampaignHours:
    def test_a_range_not_in_the_form_is_named_with_the_variable(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("LEDGER_CAMPAIGN_HOURS", "9-21")

        with pytest.raises(SettingsError) as refused:
            load_settings()

        assert "LEDGER_CAMPAIGN_HOURS='9-21'" in str(refused.value)
        assert "HH:MM-HH:MM" in str(refused.value)

    def test_an_overnight_range_allows_the_evening_and_the_early_morning(self) -> None:
        hours = AllowedHours.parse("21:00-09:00")

        allowed = [h for h in range(24) if hours.allow(AT.replace(hour=h, minute=30))]

        assert allowed == [0, 1, 2, 3, 4, 5, 6, 7, 8, 21, 22, 23]


class TestCampaignStopped:
    def test_a_chunk_never_reached_before_the_cancel_is_owed_as_not_sent(self) -> None:
        campaign = Campaign(
            campaign_id=uuid4(), name="Долги", template="debt", via=C.SMS, subject="Долг",
            text="Долг", window_start=AT, window_end=AT + timedelta(hours=3), recipients=1,
            by="supervisor", at=AT)
        campaign.list_recipients([ListedRecipient(account_number="1234567890")])
        campaign.start(AT, "supervisor")
        campaign.cancel(AT, "supervisor")

        owed = campaign.unsent_chunk()
        campaign.record_unsent_chunk(0, 1, [], AT)

        assert (campaign.status, owed, campaign.unsent_chunk()) == (
            CampaignStatus.CANCELLED, 0, None)
