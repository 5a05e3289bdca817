"""The as-of replay of a scripted history, seen at several moments: timers, contacts,
consents and notifications as the ledger knew them then (store time = each step's moment)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any, cast

import pytest

from domain.account import Account
from domain.calendar import BusinessCalendar
from domain.notification_values import (
    ContactKind,
    ContactPoint,
    ContactSource,
    NotificationChannel,
    NotificationKind,
    NotificationStatus,
    ReceiptOutcome,
    Trigger,
    notification_id,
)
from domain.replay import AccountState, replay_until
from domain.sla import DEFAULT_POLICY
from domain.sla_timer import TimerState
from domain.values import AccountKind, AppealType, Channel, Contact, Direction

pytestmark = pytest.mark.unit

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
"""A Monday: the registration term (one working day) ends at 24:00 on Tuesday 3 March."""
NUMBER, APPEAL = "7700112233", "A-2026-000001"
ANSWER = Trigger(rule="appeal.answer", ref=APPEAL, appeal_number=APPEAL)
CALENDAR = BusinessCalendar()


class Script:
    """An account driven through its commands; each step's events stored at that step's time."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.account = Account(NUMBER, AccountKind.INDIVIDUAL)
        self.store(T0)

    def store(self, at: datetime) -> datetime:
        self.events += [dataclasses.replace(cast(Any, e), timestamp=at)
                        for e in self.account.collect_events()]
        return at

    def as_of(self, at: datetime) -> AccountState:
        state = replay_until(self.events, at=at, policy=DEFAULT_POLICY, calendar=CALENDAR)
        assert state is not None
        return state


@pytest.fixture(scope="module")
def script() -> Script:
    """A letter registered Monday, assigned late on Thursday, answered by e-mail on the 10th;
    the answer sent and delivered; SMS consent given on Monday and withdrawn on the 12th."""
    s = Script()
    a = s.account
    a.register_appeal(
        appeal_number=APPEAL, form=None, channel=Channel.MAIL, appeal_type=AppealType.STATEMENT,
        received_at=T0, subject="Счёт", text="Прошу пересчитать", external_id=None,
        contact=Contact(email="client@example.ru"), reply_channel=Channel.EMAIL,
        registered_by="operator-1")
    s.store(T0 + timedelta(minutes=1))
    a.record_contact_point(ContactPoint(kind=ContactKind.MOBILE, value="+79990000001",
                                        source=ContactSource.CLIENT, at=T0), "operator-1")
    a.record_consent(NotificationChannel.SMS, True, T0, "operator-1", None)
    s.store(T0 + timedelta(minutes=2))
    a.assign_appeal(APPEAL, "petrova", T0 + timedelta(days=3), "supervisor")
    s.store(T0 + timedelta(days=3))
    answered = T0 + timedelta(days=8)
    a.answer_appeal(APPEAL, Channel.EMAIL, "Пересчитано", answered, "petrova")
    a.request_notification(kind=NotificationKind.APPEAL_ANSWER, trigger=ANSWER,
                           channels=(NotificationChannel.EMAIL,), subject="Ответ",
                           text="Пересчитано", at=answered)
    s.store(answered)
    a.record_sent(notification_id(a.id, ANSWER), "gw-1", answered + timedelta(minutes=1))
    s.store(answered + timedelta(minutes=1))
    a.record_receipt(notification_id(a.id, ANSWER), ReceiptOutcome.DELIVERED, None,
                     answered + timedelta(minutes=5))
    s.store(answered + timedelta(minutes=5))
    a.record_consent(NotificationChannel.SMS, False, T0 + timedelta(days=10), "operator-1", None)
    s.store(T0 + timedelta(days=10))
    return s


def timers(state: AccountState) -> dict[str, TimerState]:
    return {t.kind: t.state for t in state.timers}


class TestTimersAsOf:
    def test_before_the_first_warning_both_timers_run(self, script: Script) -> None:
        state = script.as_of(T0 + timedelta(hours=2))

        assert timers(state) == {"written.registration": TimerState.RUNNING,
                                 "written.answer": TimerState.RUNNING}
        registration = next(t for t in state.timers if t.kind == "written.registration")
        assert registration.appeal_number == APPEAL
        assert registration.started_at == T0
        assert registration.due_at == datetime(2026, 3, 4, 0, 0, tzinfo=CALENDAR.tz)

    def test_late_in_its_one_working_day_the_registration_is_at_risk(
        self, script: Script
    ) -> None:
        state = script.as_of(datetime(2026, 3, 3, 23, 0, tzinfo=MSK))

        assert timers(state)["written.registration"] is TimerState.AT_RISK

    def test_after_its_deadline_unassigned_the_registration_is_breached(
        self, script: Script
    ) -> None:
        state = script.as_of(datetime(2026, 3, 4, 12, 0, tzinfo=MSK))

        assert timers(state) == {"written.registration": TimerState.BREACHED,
                                 "written.answer": TimerState.RUNNING}

    def test_answered_in_term_the_answer_timer_is_met(self, script: Script) -> None:
        state = script.as_of(T0 + timedelta(days=9))

        assert timers(state) == {"written.registration": TimerState.BREACHED,
                                 "written.answer": TimerState.MET}
        answer = next(t for t in state.timers if t.kind == "written.answer")
        assert answer.stopped_at == T0 + timedelta(days=8)

    def test_a_version_cut_judges_timers_at_that_version_s_store_time(
        self, script: Script
    ) -> None:
        state = replay_until(script.events, version=2, calendar=CALENDAR)

        assert state is not None
        assert timers(state) == {"written.registration": TimerState.RUNNING,
                                 "written.answer": TimerState.RUNNING}


class TestNotificationAsOf:
    def test_each_moment_shows_the_status_reached_and_its_times(self, script: Script) -> None:
        answered = T0 + timedelta(days=8)
        moments = [answered, answered + timedelta(minutes=2), answered + timedelta(minutes=6)]

        seen = [script.as_of(m).notifications for m in moments]

        assert [[n.status for n in s] for s in seen] == [
            [NotificationStatus.REQUESTED], [NotificationStatus.SENT],
            [NotificationStatus.DELIVERED]]
        last = seen[-1][0]
        assert (last.kind, last.rule, last.channel) == (
            NotificationKind.APPEAL_ANSWER, "appeal.answer", NotificationChannel.EMAIL)
        assert (last.requested_at, last.sent_at, last.delivered_at, last.reason) == (
            answered, answered + timedelta(minutes=1), answered + timedelta(minutes=5), None)
        assert seen[0][0].sent_at is None

    def test_before_the_answer_there_is_no_notification(self, script: Script) -> None:
        assert script.as_of(T0 + timedelta(days=7)).notifications == []

    def test_a_notification_with_no_channel_shows_why_it_was_not_sent(self) -> None:
        s = Script()
        trigger = Trigger(rule="campaign.x", ref="1")
        s.account.request_notification(kind=NotificationKind.CAMPAIGN, trigger=trigger,
                                       channels=(NotificationChannel.SMS,), subject="s",
                                       text="t", at=T0)
        s.store(T0 + timedelta(minutes=1))

        [notice] = s.as_of(T0 + timedelta(minutes=1)).notifications

        assert notice.status is NotificationStatus.NOT_SENT
        assert notice.channel is None
        assert notice.not_sent_at == T0
        assert notice.reason == "sms: no consent for this channel"


class TestContactsAsOf:
    def test_consent_given_then_withdrawn(self, script: Script) -> None:
        before, given, withdrawn = (script.as_of(T0 + timedelta(minutes=1)),
                                    script.as_of(T0 + timedelta(days=1)),
                                    script.as_of(T0 + timedelta(days=11)))

        assert before.consents == [] and before.contact_points == []
        assert [(c.channel, c.given, c.at) for c in given.consents] == [
            (NotificationChannel.SMS, True, T0)]
        assert [(c.channel, c.given, c.at) for c in withdrawn.consents] == [
            (NotificationChannel.SMS, False, T0 + timedelta(days=10))]

    def test_contact_points_carry_their_value_and_source(self, script: Script) -> None:
        [point] = script.as_of(T0 + timedelta(days=1)).contact_points

        assert (point.kind, point.value, point.source) == (
            ContactKind.MOBILE, "+79990000001", ContactSource.CLIENT)


class TestCallbackTimer:
    def test_an_agreed_call_back_is_met_by_the_outbound_call(self) -> None:
        s = Script()
        agreed = T0 + timedelta(hours=3)
        s.account.record_interaction(
            channel=Channel.PHONE, direction=Direction.INBOUND, occurred_at=T0,
            summary="Перезвоните", operator="op", external_id=None, meter_reading=None,
            recorded_by="op", callback_at=agreed)
        s.store(T0)
        s.account.record_interaction(
            channel=Channel.PHONE, direction=Direction.OUTBOUND,
            occurred_at=agreed - timedelta(minutes=5), summary="Перезвонили", operator="op",
            external_id=None, meter_reading=None, recorded_by="op")
        s.store(agreed)

        before, after = s.as_of(agreed - timedelta(hours=1)), s.as_of(agreed)

        assert timers(before)["callback.agreed"] is TimerState.RUNNING
        assert timers(after)["callback.agreed"] is TimerState.MET
