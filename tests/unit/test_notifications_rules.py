"""Which events owe the client a notification, and what the rendered text says."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from domain import events as ev
from domain.account import Account
from domain.calendar import BusinessCalendar
from domain.notification_rules import RuleBook, owed
from domain.notification_values import NotificationChannel as C
from domain.notification_values import NotificationKind as K
from domain.sla import DEFAULT_POLICY, SlaPolicy
from domain.templates import DEFAULT_TEMPLATES
from domain.values import AccountKind, Channel, Direction, WithoutConsiderationReason

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
ENDED = datetime(2026, 3, 2, 23, 30, tzinfo=MSK)
ACCOUNT = "1234567890"
BOOK = RuleBook(DEFAULT_TEMPLATES, DEFAULT_POLICY, BusinessCalendar(), "https://q.example.com/s",
                "https://chat.example.com")


def contact(channel: Channel = Channel.PHONE, direction: Direction = Direction.INBOUND,
            external_id: str | None = "call-77") -> ev.InteractionRecorded:
    account = Account(number=ACCOUNT, kind=AccountKind.INDIVIDUAL)
    account.record_interaction(
        channel=channel, direction=direction, occurred_at=ENDED, summary="Звонок",
        operator="ivanova", external_id=external_id, meter_reading=None, recorded_by="phone")
    event = account.collect_events()[-1]
    assert isinstance(event, ev.InteractionRecorded)
    return event


class TestSurvey:
    @pytest.mark.parametrize("channel", [Channel.PHONE, Channel.OFFICE, Channel.CHAT])
    def test_a_contact_through_a_served_channel_owes_one(self, channel: Channel) -> None:
        event = contact(channel)

        (request,) = owed(BOOK, "InteractionRecorded", event, ACCOUNT, ENDED)

        assert (request.kind, request.channels) == (K.SURVEY, (C.EMAIL,))
        assert request.trigger.interaction_id == event.interaction_id

    def test_its_subject_names_the_reference_the_account_and_the_date(self) -> None:
        (request,) = owed(BOOK, "InteractionRecorded", contact(), ACCOUNT, ENDED)

        assert request.subject == (
            "Оценка качества обслуживания: обращение call-77, ЛС 1234567890, 02.03.2026")
        assert "https://q.example.com/s?ref=call-77" in request.text

    def test_without_an_external_id_the_interaction_id_is_the_reference(self) -> None:
        event = contact(external_id=None)

        (request,) = owed(BOOK, "InteractionRecorded", event, ACCOUNT, ENDED)

        assert str(event.interaction_id) in request.subject

    @pytest.mark.parametrize(
        ("channel", "direction", "late"),
        [(Channel.MAIL, Direction.INBOUND, 0), (Channel.PHONE, Direction.OUTBOUND, 0),
         (Channel.PHONE, Direction.INBOUND, 24)],
    )
    def test_none_for_letters_calls_out_or_after_its_24_hours(
        self, channel: Channel, direction: Direction, late: int
    ) -> None:
        event = contact(channel, direction)

        found = owed(BOOK, "InteractionRecorded", event, ACCOUNT, ENDED + timedelta(hours=late))

        assert found == []

    def test_a_call_s_24_hours_run_from_its_end(self) -> None:
        account = Account(number=ACCOUNT, kind=AccountKind.INDIVIDUAL)
        account.record_interaction(
            channel=Channel.PHONE, direction=Direction.INBOUND, occurred_at=ENDED,
            ended_at=ENDED + timedelta(hours=1), summary="Долгий звонок", operator="ivanova",
            external_id="call-78", meter_reading=None, recorded_by="phone")
        event = account.collect_events()[-1]
        an_hour_past_the_start = ENDED + timedelta(hours=24, minutes=30)

        found = owed(BOOK, "InteractionRecorded", event, ACCOUNT, an_hour_past_the_start)

        assert [r.kind for r in found] == [K.SURVEY]

    def test_a_policy_without_the_survey_timer_owes_none(self) -> None:
        policy = SlaPolicy(version="no-survey", rules=tuple(
            r for r in DEFAULT_POLICY.rules if r.id != "survey.send"))
        book = RuleBook(DEFAULT_TEMPLATES, policy, BusinessCalendar(), "s", "c")

        assert owed(book, "InteractionRecorded", contact(), ACCOUNT, ENDED) == []


class TestAppealNotices:
    def test_an_answer_goes_through_the_reply_channel_with_its_text(self) -> None:
        event = answered(Channel.MAIL)

        (request,) = owed(BOOK, "AppealAnswered", event, ACCOUNT, ENDED)

        assert (request.kind, request.channels) == (K.APPEAL_ANSWER, (C.POST,))
        assert "Перерасчёт выполнен" in request.text
        assert request.trigger.appeal_number == "2026-000001"

    def test_an_answer_given_at_the_office_is_not_sent_again(self) -> None:
        assert owed(BOOK, "AppealAnswered", answered(Channel.OFFICE), ACCOUNT, ENDED) == []

    @pytest.mark.parametrize(
        ("reason", "notify", "kind"),
        [(WithoutConsiderationReason.ILLEGIBLE, True, K.ILLEGIBLE_NOTICE),
         (WithoutConsiderationReason.REPEATED, True, K.REPEAT_NOTICE),
         (WithoutConsiderationReason.ILLEGIBLE, False, None),
         (WithoutConsiderationReason.OBSCENE, False, None)],
    )
    def test_an_illegible_or_repeated_letter_is_answered_with_a_notice(
        self, reason: WithoutConsiderationReason, notify: bool, kind: K | None
    ) -> None:
        event = make(ev.AppealLeftWithoutConsideration,
            originator_id=uuid4(), originator_version=3, timestamp=ENDED,
            appeal_number="2026-000001", at=ENDED, by="op", reason=reason,
            related_appeal_number="2025-000009" if kind is K.REPEAT_NOTICE else None,
            notify_client=notify)

        found = owed(BOOK, "AppealLeftWithoutConsideration", event, ACCOUNT, ENDED)

        assert [r.kind for r in found] == ([kind] if kind else [])

    def test_an_assignment_asks_for_the_operator_joined_notice_with_the_chat_link(self) -> None:
        event = make(ev.AppealAssigned,originator_id=uuid4(), originator_version=2, timestamp=ENDED,
                                  appeal_number="2026-000001", at=ENDED, by="op",
                                  assignee="petrova")

        (request,) = owed(BOOK, "AppealAssigned", event, ACCOUNT, ENDED)

        assert request.kind is K.OPERATOR_JOINED
        assert "https://chat.example.com?ref=2026-000001" in request.text


def make(cls: Any, **fields: Any) -> Any:
    """An event as the log delivers it (eventsourcing's events are untyped for mypy)."""
    return cls(**fields)


def answered(channel: Channel) -> Any:
    return make(ev.AppealAnswered,originator_id=uuid4(), originator_version=2, timestamp=ENDED,
                             appeal_number="2026-000001", at=ENDED, by="op", channel=channel,
                             text="Перерасчёт выполнен")
