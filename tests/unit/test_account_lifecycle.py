"""The appeal lifecycle and the account's other rules, decided by the Account aggregate alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import product
from typing import Any, TypeVar

import pytest
from eventsourcing.domain import Aggregate

from domain.account import Account
from domain.appeal import TRANSITIONS, Action
from domain.errors import InvalidTransitionError, NotFoundError, ValidationError
from domain.identity import account_stream_id
from domain.values import (
    FORM_OF_CHANNEL,
    AccountKind,
    AppealForm,
    AppealStatus,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    WithoutConsiderationReason,
)

pytestmark = pytest.mark.unit

MSK = timezone(timedelta(hours=3))
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
ACCOUNT_NUMBER = "1234567890"
OPERATOR = "operator-1"
REACHABLE = Contact(name="Иванов И.И.", phone="+79990000000")
NAME_ONLY = Contact(name="Иванов И.И.")
Reason = WithoutConsiderationReason
EventT = TypeVar("EventT", bound=Aggregate.Event)

# -- the lifecycle, written out by hand from the rules --------------------------------------

S = AppealStatus
REG, ASG, AWT, DEF = S.REGISTERED, S.ASSIGNED, S.AWAITING_CLIENT, S.DEFERRED
ANS, CLO, LWC = S.ANSWERED, S.CLOSED, S.LEFT_WITHOUT_CONSIDERATION
NO = None
"""Refused: the action is not allowed from the status."""

COLUMNS = (
    Action.ASSIGN, Action.REQUEST_CLARIFICATION, Action.DEFER, Action.EXTEND,
    Action.ANSWER, Action.CLOSE, Action.LEAVE_WITHOUT_CONSIDERATION,
)
MATRIX: dict[AppealStatus, tuple[AppealStatus | None, ...]] = {
    # from status: assign, clarify, defer, extend, answer, close, leave without consideration
    REG: (ASG, AWT, DEF, REG, ANS, NO, LWC),
    ASG: (ASG, AWT, DEF, ASG, ANS, NO, LWC),
    AWT: (ASG, AWT, DEF, AWT, ANS, NO, LWC),
    DEF: (ASG, AWT, DEF, DEF, ANS, NO, LWC),
    ANS: (NO, NO, NO, NO, NO, CLO, NO),
    CLO: (NO, NO, NO, NO, NO, NO, NO),
    LWC: (NO, NO, NO, NO, NO, NO, NO),
}
"""Status after each action from each status; an appeal in work may be extended in place."""

EXPECTED = {
    (action, status): row[i] for status, row in MATRIX.items() for i, action in enumerate(COLUMNS)
}
ALL_PAIRS = list(product(Action, AppealStatus))
ALLOWED = [pair for pair in ALL_PAIRS if EXPECTED[pair] is not None]
REFUSED = [pair for pair in ALL_PAIRS if EXPECTED[pair] is None]

ACTS: dict[Action, Callable[[Account, str], None]] = {
    Action.ASSIGN: lambda a, n: a.assign_appeal(n, "ivanova", NOW, OPERATOR),
    Action.REQUEST_CLARIFICATION: lambda a, n: a.request_clarification(
        n, "Уточните период", NOW, OPERATOR),
    Action.DEFER: lambda a, n: a.defer_appeal(n, "Конец смены", NOW, OPERATOR),
    Action.EXTEND: lambda a, n: a.extend_appeal(n, "Нужна проверка", NOW, OPERATOR),
    Action.ANSWER: lambda a, n: a.answer_appeal(n, Channel.MAIL, "Ответ", NOW, OPERATOR),
    Action.CLOSE: lambda a, n: a.close_appeal(n, "Закрыто", NOW, OPERATOR),
    Action.LEAVE_WITHOUT_CONSIDERATION: lambda a, n: a.leave_without_consideration(
        n, Reason.OBSCENE, None, NOW, OPERATOR),
}  # fmt: skip
"""Each action with arguments that pass every check but the lifecycle's."""

EVENT_OF: dict[Action, type[Aggregate.Event]] = {
    Action.ASSIGN: Account.AppealAssigned,
    Action.REQUEST_CLARIFICATION: Account.ClarificationRequested,
    Action.DEFER: Account.AppealDeferred,
    Action.EXTEND: Account.AppealExtended,
    Action.ANSWER: Account.AppealAnswered,
    Action.CLOSE: Account.AppealClosed,
    Action.LEAVE_WITHOUT_CONSIDERATION: Account.AppealLeftWithoutConsideration,
}

PATH_TO: dict[AppealStatus, tuple[Action, ...]] = {
    REG: (),
    ASG: (Action.ASSIGN,),
    AWT: (Action.REQUEST_CLARIFICATION,),
    DEF: (Action.DEFER,),
    ANS: (Action.ANSWER,),
    CLO: (Action.ANSWER, Action.CLOSE),
    LWC: (Action.LEAVE_WITHOUT_CONSIDERATION,),
}
"""The shortest way from registration to each status."""


# -- helpers ------------------------------------------------------------------------------


def new_account(number: str = ACCOUNT_NUMBER) -> Account:
    return Account(number=number, kind=AccountKind.INDIVIDUAL)


def register(account: Account, number: str = "2026-000001", **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "form": None, "channel": Channel.MAIL, "appeal_type": AppealType.COMPLAINT,
        "received_at": NOW, "subject": "Счёт за март", "text": "Счёт завышен",
        "contact": REACHABLE, "reply_channel": None, "external_id": None,
        "registered_by": OPERATOR,
    } | overrides  # fmt: skip
    account.register_appeal(appeal_number=number, **fields)
    return number


def appeal_in(status: AppealStatus, **overrides: Any) -> tuple[Account, str]:
    """An account with one appeal brought to `status`, its pending events already saved."""
    account = new_account()
    number = register(account, **overrides)
    for action in PATH_TO[status]:
        ACTS[action](account, number)
    account.collect_events()
    return account, number


def record(account: Account, channel: Channel, external_id: str | None, **overrides: Any) -> Any:
    fields: dict[str, Any] = {
        "channel": channel, "direction": Direction.INBOUND, "occurred_at": NOW,
        "summary": "Звонок клиента", "operator": OPERATOR, "external_id": external_id,
        "meter_reading": None, "recorded_by": OPERATOR,
    } | overrides  # fmt: skip
    return account.record_interaction(**fields)


def only_event(account: Account, cls: type[EventT]) -> EventT:
    """The one pending event, checked to be of `cls`."""
    events = account.collect_events()
    assert len(events) == 1, events
    event = events[0]
    assert isinstance(event, cls)
    return event


def assert_nothing_pending(account: Account, version_before: int) -> None:
    assert account.collect_events() == []
    assert account.version == version_before


# -- tests --------------------------------------------------------------------------------


class TestLifecycleTable:
    @pytest.mark.parametrize(("action", "status"), ALL_PAIRS)
    def test_table_matches_the_rules(self, action: Action, status: AppealStatus) -> None:
        allowed_from, leads_to = TRANSITIONS[action]

        table_says = (leads_to or status) if status in allowed_from else None

        assert table_says == EXPECTED[(action, status)]

    def test_table_has_a_rule_for_every_action(self) -> None:
        assert set(TRANSITIONS) == set(Action)
        assert set(MATRIX) == set(AppealStatus)


class TestTransitions:
    @pytest.mark.parametrize(("action", "status"), ALLOWED)
    def test_allowed_action_moves_appeal_to_its_status(
        self, action: Action, status: AppealStatus
    ) -> None:
        account, number = appeal_in(status)

        ACTS[action](account, number)

        assert account.appeal(number).status == EXPECTED[(action, status)]
        event = only_event(account, EVENT_OF[action])
        assert event.appeal_number == number  # type: ignore[attr-defined]

    @pytest.mark.parametrize(("action", "status"), REFUSED)
    def test_refused_action_names_appeal_status_and_action(
        self, action: Action, status: AppealStatus
    ) -> None:
        account, number = appeal_in(status)
        version = account.version

        with pytest.raises(InvalidTransitionError) as refused:
            ACTS[action](account, number)

        # The error tells the caller which appeal, in which status, could not do what.
        error = refused.value
        assert (error.appeal_number, error.status, error.action) == (number, status, action)
        assert number in error.message
        assert status.upper() in error.message
        assert str(action) in error.message
        assert error.code == "INVALID_TRANSITION"
        # Nothing was decided: no pending event, the same version, the same status.
        assert_nothing_pending(account, version)
        assert account.appeal(number).status == status

    def test_action_on_unknown_appeal_is_not_found(self) -> None:
        account, _ = appeal_in(REG)

        with pytest.raises(NotFoundError) as refused:
            account.assign_appeal("2026-999999", "ivanova", NOW, OPERATOR)

        assert "2026-999999" in refused.value.message
        assert account.collect_events() == []

    def test_assigning_again_hands_appeal_to_another_assignee(self) -> None:
        account, number = appeal_in(ASG)

        account.assign_appeal(number, "petrov", NOW, OPERATOR)

        assert account.appeal(number).assignee == "petrov"
        assert only_event(account, Account.AppealAssigned).assignee == "petrov"


class TestExtension:
    def test_first_extension_is_recorded_and_keeps_status(self) -> None:
        account, number = appeal_in(ASG)

        account.extend_appeal(number, "Запрос в сетевую организацию", NOW, OPERATOR)

        appeal = account.appeal(number)
        assert appeal.extended
        assert appeal.status == ASG
        assert only_event(account, Account.AppealExtended).reason == (
            "Запрос в сетевую организацию"
        )

    def test_second_extension_is_refused(self) -> None:
        account, number = appeal_in(ASG)
        account.extend_appeal(number, "первое продление", NOW, OPERATOR)
        account.collect_events()
        version = account.version

        with pytest.raises(InvalidTransitionError) as refused:
            account.extend_appeal(number, "второе продление", NOW, OPERATOR)

        assert refused.value.appeal_number == number
        assert "already extended" in refused.value.message
        assert_nothing_pending(account, version)


class TestAnswerChannel:
    def test_answer_through_chosen_reply_channel_is_accepted(self) -> None:
        account, number = appeal_in(ASG, reply_channel=Channel.EMAIL)
        answered_at = NOW + timedelta(days=2)

        account.answer_appeal(number, Channel.EMAIL, "Перерасчёт выполнен", answered_at, "spec")

        appeal = account.appeal(number)
        assert (appeal.status, appeal.answered_at) == (ANS, answered_at)
        assert only_event(account, Account.AppealAnswered).channel is Channel.EMAIL

    def test_answer_through_another_channel_is_refused(self) -> None:
        account, number = appeal_in(ASG, reply_channel=Channel.EMAIL)
        version = account.version

        with pytest.raises(ValidationError) as refused:
            account.answer_appeal(number, Channel.MAIL, "Ответ письмом", NOW, OPERATOR)

        assert refused.value.field == "channel"
        assert "EMAIL" in refused.value.message
        assert_nothing_pending(account, version)
        assert account.appeal(number).status == ASG

    def test_without_chosen_channel_any_channel_answers(self) -> None:
        account, number = appeal_in(REG, reply_channel=None)

        account.answer_appeal(number, Channel.PHONE, "Ответ по телефону", NOW, OPERATOR)

        assert account.appeal(number).status == ANS


class TestLeaveWithoutConsideration:
    @pytest.mark.parametrize("earlier_status", [ANS, CLO])
    def test_repeat_of_settled_appeal_is_accepted(self, earlier_status: AppealStatus) -> None:
        # An earlier appeal on the same account was answered (and perhaps closed).
        account, earlier = appeal_in(earlier_status)
        repeat = register(account, "2026-000002")
        account.collect_events()

        account.leave_without_consideration(repeat, Reason.REPEATED, earlier, NOW, OPERATOR)

        assert account.appeal(repeat).status == LWC
        event = only_event(account, Account.AppealLeftWithoutConsideration)
        assert (event.reason, event.related_appeal_number) == (Reason.REPEATED, earlier)
        assert event.notify_client  # the client is reachable, so is told why

    @pytest.mark.parametrize("earlier_status", [REG, ASG, AWT, DEF, LWC])
    def test_repeat_of_unsettled_appeal_is_refused(self, earlier_status: AppealStatus) -> None:
        account, earlier = appeal_in(earlier_status)
        repeat = register(account, "2026-000002")
        account.collect_events()
        version = account.version

        with pytest.raises(ValidationError) as refused:
            account.leave_without_consideration(repeat, Reason.REPEATED, earlier, NOW, OPERATOR)

        assert refused.value.field == "relatedAppealNumber"
        assert_nothing_pending(account, version)

    @pytest.mark.parametrize("related", [None, "2026-000002", "2026-777777"])
    def test_repeat_must_name_another_appeal_of_this_account(self, related: str | None) -> None:
        # Missing, itself, or a number this account never had.
        account, _ = appeal_in(ANS)
        repeat = register(account, "2026-000002")
        account.collect_events()
        version = account.version

        with pytest.raises(ValidationError) as refused:
            account.leave_without_consideration(repeat, Reason.REPEATED, related, NOW, OPERATOR)

        assert refused.value.field == "relatedAppealNumber"
        assert_nothing_pending(account, version)

    def test_related_appeal_is_only_for_repeats(self) -> None:
        account, earlier = appeal_in(ANS)
        other = register(account, "2026-000002")
        account.collect_events()

        with pytest.raises(ValidationError) as refused:
            account.leave_without_consideration(other, Reason.OBSCENE, earlier, NOW, OPERATOR)

        assert refused.value.field == "relatedAppealNumber"
        assert account.collect_events() == []

    def test_no_contact_is_refused_when_client_is_reachable(self) -> None:
        account, number = appeal_in(REG, contact=REACHABLE)
        version = account.version

        with pytest.raises(InvalidTransitionError) as refused:
            account.leave_without_consideration(number, Reason.NO_CONTACT, None, NOW, OPERATOR)

        assert refused.value.appeal_number == number
        assert "NO_CONTACT" in refused.value.message
        assert_nothing_pending(account, version)

    @pytest.mark.parametrize("contact", [None, NAME_ONLY])
    def test_no_contact_is_accepted_when_client_cannot_be_reached(
        self, contact: Contact | None
    ) -> None:
        account, number = appeal_in(REG, contact=contact)

        account.leave_without_consideration(number, Reason.NO_CONTACT, None, NOW, OPERATOR)

        assert account.appeal(number).status == LWC
        assert not only_event(account, Account.AppealLeftWithoutConsideration).notify_client

    def test_illegible_letter_is_noticed_to_reachable_client(self) -> None:
        account, number = appeal_in(REG, contact=REACHABLE)

        account.leave_without_consideration(number, Reason.ILLEGIBLE, None, NOW, OPERATOR)

        assert only_event(account, Account.AppealLeftWithoutConsideration).notify_client

    @pytest.mark.parametrize("contact", [None, NAME_ONLY])
    def test_illegible_letter_without_contact_is_not_noticed(
        self, contact: Contact | None
    ) -> None:
        account, number = appeal_in(REG, contact=contact)

        account.leave_without_consideration(number, Reason.ILLEGIBLE, None, NOW, OPERATOR)

        assert not only_event(account, Account.AppealLeftWithoutConsideration).notify_client

    def test_obscene_letter_is_not_noticed(self) -> None:
        account, number = appeal_in(REG, contact=REACHABLE)

        account.leave_without_consideration(number, Reason.OBSCENE, None, NOW, OPERATOR)

        assert not only_event(account, Account.AppealLeftWithoutConsideration).notify_client


class TestInteractions:
    def test_same_channel_and_external_id_is_recorded_once(self) -> None:
        account = new_account()
        account.collect_events()

        first = record(account, Channel.PHONE, "call-42")
        again = record(account, Channel.PHONE, "call-42", summary="повтор доставки")

        assert again == first
        assert only_event(account, Account.InteractionRecorded).interaction_id == first

    def test_same_external_id_on_another_channel_is_a_new_interaction(self) -> None:
        account = new_account()
        account.collect_events()

        by_phone = record(account, Channel.PHONE, "42")
        by_chat = record(account, Channel.CHAT, "42")

        assert by_chat != by_phone
        assert len(account.collect_events()) == 2

    def test_contacts_without_external_id_are_all_recorded(self) -> None:
        account = new_account()
        account.collect_events()

        ids = {record(account, Channel.OFFICE, None) for _ in range(3)}

        assert len(ids) == 3
        assert len(account.collect_events()) == 3

    def test_interaction_and_appeal_may_share_an_external_id(self) -> None:
        # One e-mail is both a contact and the appeal it carries, under one message id.
        account, number = appeal_in(REG, channel=Channel.EMAIL, external_id="msg-1")

        interaction_id = record(account, Channel.EMAIL, "msg-1")

        assert only_event(account, Account.InteractionRecorded).interaction_id == interaction_id
        assert account.known_reference("appeal", Channel.EMAIL, "msg-1") == number
        assert account.known_reference("interaction", Channel.EMAIL, "msg-1") == str(
            interaction_id
        )

    def test_meter_reading_is_recorded_as_an_interaction(self) -> None:
        account = new_account()
        account.collect_events()
        reading = MeterReading(meter_number="M-0042", value=Decimal("12345.6"))

        record(account, Channel.IVR, None, summary="Показания по IVR", meter_reading=reading)

        event = only_event(account, Account.InteractionRecorded)
        assert event.meter_reading == reading
        assert event.channel is Channel.IVR

    @pytest.mark.parametrize("value", ["-1", "NaN", "Infinity"])
    def test_meter_reading_must_be_a_finite_number_zero_or_more(self, value: str) -> None:
        with pytest.raises(ValueError, match="finite number, zero or more"):
            MeterReading(meter_number="M-0042", value=Decimal(value))


class TestAppealForm:
    @pytest.mark.parametrize("channel", list(Channel))
    def test_form_follows_channel_by_default(self, channel: Channel) -> None:
        account = new_account()

        number = register(account, channel=channel, form=None)

        assert account.appeal(number).form is FORM_OF_CHANNEL[channel]

    def test_form_of_channel_knows_every_channel(self) -> None:
        assert set(FORM_OF_CHANNEL) == set(Channel)
        assert FORM_OF_CHANNEL[Channel.PHONE] is AppealForm.ORAL
        assert FORM_OF_CHANNEL[Channel.MAIL] is AppealForm.WRITTEN
        assert FORM_OF_CHANNEL[Channel.CHAT] is AppealForm.ELECTRONIC

    def test_stated_form_overrides_the_channel(self) -> None:
        # A written statement handed in at an office.
        account = new_account()

        number = register(account, channel=Channel.OFFICE, form=AppealForm.WRITTEN)

        assert account.appeal(number).form is AppealForm.WRITTEN
        assert account.collect_events()[-1].form is AppealForm.WRITTEN  # type: ignore[attr-defined]


class TestRegistration:
    def test_registered_appeal_starts_registered(self) -> None:
        account = new_account()

        number = register(account, reply_channel=Channel.EMAIL, external_id="sed-17")

        appeal = account.appeal(number)
        assert (appeal.status, appeal.reply_channel, appeal.extended) == (REG, Channel.EMAIL, False)
        assert account.known_reference("appeal", Channel.MAIL, "sed-17") == number
        assert [a.number for a in account.open_appeals()] == [number]

    def test_appeal_number_is_used_once(self) -> None:
        account, number = appeal_in(REG)
        version = account.version

        with pytest.raises(ValidationError) as refused:
            register(account, number)

        assert refused.value.field == "appealNumber"
        assert_nothing_pending(account, version)

    def test_settled_appeals_are_no_longer_open(self) -> None:
        account, answered = appeal_in(ANS)
        in_work = register(account, "2026-000002")

        open_numbers = [a.number for a in account.open_appeals()]

        assert open_numbers == [in_work]
        assert answered not in open_numbers


class TestStreamId:
    def test_same_number_gives_same_stream(self) -> None:
        assert account_stream_id("1234567890") == account_stream_id("1234567890")

    def test_different_numbers_give_different_streams(self) -> None:
        assert account_stream_id("1234567890") != account_stream_id("1234567891")

    def test_account_lives_in_the_stream_of_its_number(self) -> None:
        account = new_account("700123")

        assert account.id == account_stream_id("700123")

    @pytest.mark.parametrize("bad", ["", "12345", "12345678901234567890123", "12-345678", "abcdef"])
    def test_malformed_number_is_refused(self, bad: str) -> None:
        with pytest.raises(ValidationError) as refused:
            account_stream_id(bad)

        assert refused.value.field == "accountNumber"
        assert refused.value.code == "VALIDATION"
