"""SLA marks, the out-of-hours reply and agreed call backs, decided by the Account and Ledger."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import msgspec
import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from adapters.transcoder import MsgspecMapper
from domain import commands as c
from domain.account import Account
from domain.calendar import BusinessCalendar
from domain.errors import NotFoundError, ValidationError
from domain.identity import account_stream_id, format_appeal_number
from domain.ledger import Ledger
from domain.values import AccountKind, AppealType, Channel, Direction

pytestmark = pytest.mark.unit

MSK = ZoneInfo("Europe/Moscow")
RECEIVED = datetime(2026, 6, 11, 12, 0, tzinfo=MSK)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=MSK)
NUMBER = "2026-000001"
TIMER = f"{NUMBER}/interactive.answer/2"
ACCOUNT = "1234567890"


class MemoryNumbers:
    """Appeal numbers in memory, as the sequence in PostgreSQL hands them out."""

    def __init__(self) -> None:
        self.accounts: dict[str, UUID] = {}

    def allocate(self, account_id: UUID, year: int) -> str:
        number = format_appeal_number(year, len(self.accounts) + 1)
        self.accounts[number] = account_id
        return number

    def locate(self, appeal_number: str) -> UUID | None:
        return self.accounts.get(appeal_number)


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo",
           "MAPPER_TOPIC": "adapters.transcoder:MsgspecMapper"}
    app = Ledger(env, numbers=MemoryNumbers(), calendar=BusinessCalendar())
    yield app
    app.close()


def account_with_appeal(channel: Channel = Channel.CHAT, collect: bool = True) -> Account:
    account = Account(number=ACCOUNT, kind=AccountKind.INDIVIDUAL)
    account.register_appeal(
        appeal_number=NUMBER, form=None, channel=channel, appeal_type=AppealType.INQUIRY,
        received_at=RECEIVED, subject="Счёт", text="Почему так много?", contact=None,
        reply_channel=None, external_id=None, registered_by="operator-1",
    )
    if collect:
        account.collect_events()
    return account


def warn(account: Account, threshold: float = 0.7, at: datetime = RECEIVED) -> bool:
    return account.mark_sla_at_risk(
        timer_id=TIMER, kind="interactive.answer", appeal_number=NUMBER, threshold=threshold,
        at=at)


def breach(account: Account, at: datetime = RECEIVED + timedelta(days=6)) -> bool:
    return account.mark_sla_breached(
        timer_id=TIMER, kind="interactive.answer", appeal_number=NUMBER, due_at=at, at=at)


def types(events: Sequence[Any]) -> list[str]:
    return [type(e).__name__ for e in events]


class TestMarksOnTheAccount:
    def test_a_warning_is_recorded_once(self) -> None:
        account = account_with_appeal()

        first, again = warn(account), warn(account)

        assert (first, again) == (True, False)
        assert types(account.collect_events()) == ["SlaAtRisk"]

    def test_each_threshold_is_recorded_apart(self) -> None:
        account = account_with_appeal()

        recorded = [warn(account, 0.7), warn(account, 0.9)]

        assert recorded == [True, True]
        events: list[Any] = list(account.collect_events())
        assert [e.threshold for e in events] == [0.7, 0.9]

    def test_a_breach_is_recorded_once(self) -> None:
        account = account_with_appeal()

        first, again = breach(account), breach(account)

        assert (first, again) == (True, False)
        assert types(account.collect_events()) == ["SlaBreached"]

    def test_nothing_is_owed_once_the_appeal_was_answered_before_the_moment(self) -> None:
        account = account_with_appeal()
        account.answer_appeal(NUMBER, Channel.CHAT, "Ответ", RECEIVED + timedelta(hours=1), "op")

        assert breach(account) is False

    def test_a_late_answer_still_owes_the_breach(self) -> None:
        account = account_with_appeal()
        account.answer_appeal(NUMBER, Channel.CHAT, "Ответ", RECEIVED + timedelta(days=9), "op")

        assert breach(account) is True

    def test_marks_survive_a_replay_of_the_stream(self) -> None:
        account = account_with_appeal(collect=False)
        warn(account)
        mapper = MsgspecMapper()
        replayed: Any = None
        for event in account.collect_events():
            decoded: Any = mapper.to_domain_event(mapper.to_stored_event(event))
            replayed = decoded.mutate(replayed)

        assert warn(replayed) is False


class TestMarkCommands:
    def test_a_repeated_mark_is_a_duplicate_outcome(self, ledger: Ledger) -> None:
        number = ledger.execute(appeal_command(), "op", NOW).appeal_number
        mark = c.MarkSlaBreached(
            account_number=ACCOUNT, timer_id=f"{number}/x.y/2", kind="interactive.answer",
            appeal_number=number, due_at=RECEIVED, at=RECEIVED)

        first = ledger.execute(mark, "sla-clock", NOW)
        again = ledger.execute(mark, "sla-clock", NOW)

        assert (first.duplicate, again.duplicate) == (False, True)
        assert types(stored(ledger)).count("SlaBreached") == 1

    def test_a_mark_before_its_moment_is_refused(self, ledger: Ledger) -> None:
        ledger.execute(appeal_command(), "op", NOW)
        early = c.MarkSlaAtRisk(
            account_number=ACCOUNT, timer_id="t/x.y/2", kind="interactive.answer",
            threshold=0.7, at=NOW + timedelta(minutes=1))

        with pytest.raises(ValidationError):
            ledger.execute(early, "sla-clock", NOW)

    def test_a_mark_for_an_unknown_account_opens_nothing(self, ledger: Ledger) -> None:
        mark = c.MarkSlaAtRisk(
            account_number="9999999999", timer_id="t/x.y/2", kind="interactive.answer",
            threshold=0.7, at=RECEIVED)

        with pytest.raises(NotFoundError):
            ledger.execute(mark, "sla-clock", NOW)
        assert ledger.account("9999999999") is None


def appeal_command(channel: Channel = Channel.CHAT, received: datetime = RECEIVED) -> Any:
    return c.RegisterAppeal(
        account_number=ACCOUNT, channel=channel, type=AppealType.INQUIRY, received_at=received,
        subject="Счёт", text="Почему так много?")


def stored(ledger: Ledger) -> list[Any]:
    return list(ledger.repository.event_store.get(account_stream_id(ACCOUNT)))


class TestOutOfHours:
    def test_an_online_office_appeal_at_night_gets_the_automatic_reply(
        self, ledger: Ledger
    ) -> None:
        night = datetime(2026, 6, 11, 22, 0, tzinfo=MSK)  # Thursday; Friday 12 June is a holiday

        number = ledger.execute(appeal_command(received=night), "op", NOW).appeal_number

        reply = stored(ledger)[-1]
        assert type(reply).__name__ == "OutOfHoursReplied"
        assert reply.appeal_number == number
        assert reply.taken_up_at == datetime(2026, 6, 15, 8, 0, tzinfo=MSK)
        assert reply.at == night

    def test_an_appeal_in_working_hours_gets_no_reply(self, ledger: Ledger) -> None:
        ledger.execute(appeal_command(received=RECEIVED), "op", NOW)

        assert types(stored(ledger)) == ["Opened", "AppealRegistered"]

    def test_a_letter_at_night_gets_no_online_office_reply(self, ledger: Ledger) -> None:
        night = datetime(2026, 6, 11, 22, 0, tzinfo=MSK)

        ledger.execute(appeal_command(Channel.MAIL, night), "op", NOW)

        assert "OutOfHoursReplied" not in types(stored(ledger))

    def test_without_a_calendar_nothing_is_replied(self) -> None:
        app = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo",
                      "MAPPER_TOPIC": "adapters.transcoder:MsgspecMapper"},
                     numbers=MemoryNumbers())

        assert app.taken_up_at(Channel.CHAT, datetime(2026, 6, 13, 3, 0, tzinfo=MSK)) is None


class TestAgreedCallback:
    def test_the_agreed_moment_is_recorded_with_the_contact(self, ledger: Ledger) -> None:
        agreed = RECEIVED + timedelta(hours=3)
        command = c.RecordInteraction(
            account_number=ACCOUNT, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=RECEIVED, summary="Перезвонить после проверки", callback_at=agreed)

        ledger.execute(command, "op", NOW)

        assert stored(ledger)[-1].callback_at == agreed

    def test_a_call_back_must_be_agreed_for_later(self, ledger: Ledger) -> None:
        command = c.RecordInteraction(
            account_number=ACCOUNT, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=RECEIVED, summary="Перезвонить", callback_at=RECEIVED)

        with pytest.raises(ValidationError) as refused:
            ledger.execute(command, "op", NOW)

        assert refused.value.field == "callbackAt"

    def test_a_contact_cannot_end_before_it_began(self, ledger: Ledger) -> None:
        command = c.RecordInteraction(
            account_number=ACCOUNT, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=RECEIVED, summary="Звонок", ended_at=RECEIVED - timedelta(seconds=1))

        with pytest.raises(ValidationError) as refused:
            ledger.execute(command, "op", NOW)

        assert (refused.value.field, refused.value.message) == (
            "endedAt", "endedAt must not be earlier than occurredAt")
        assert ledger.account(ACCOUNT) is None  # nothing stored

    def test_contacts_stored_before_call_backs_read_as_agreed_none(self) -> None:
        state = {"interaction_id": str(uuid4()), "channel": "phone", "direction": "inbound",
                 "occurred_at": RECEIVED.isoformat(), "summary": "Звонок", "operator": None,
                 "external_id": None, "meter_reading": None, "recorded_by": "op",
                 "timestamp": RECEIVED.isoformat()}
        stored_v1 = StoredEvent(
            originator_id=uuid4(), originator_version=2,
            topic=get_topic(Account.InteractionRecorded), state=msgspec.json.encode(state))

        event = MsgspecMapper().to_domain_event(stored_v1)

        assert event.callback_at is None  # type: ignore[attr-defined]
