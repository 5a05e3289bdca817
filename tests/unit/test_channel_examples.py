"""Every channel's example payloads decode with the channel's type and map to the right commands."""

from __future__ import annotations

import typing
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from adapters.channels.registry import CHANNELS
from domain import commands as c
from domain.values import AppealForm, AppealType, Channel, Contact, Direction, MeterReading

pytestmark = pytest.mark.unit

MSK = timezone(timedelta(hours=3))


def example(channel: str, kind: str, nth: int = 0) -> dict[str, Any]:
    """The nth example of a kind in `examples/<channel>.json`."""
    return [e for e in CHANNELS[channel].examples() if e["kind"] == kind][nth]


def commands(channel: str, kind: str, nth: int = 0) -> list[c.Command]:
    """What the example maps to, decoded from its JSON bytes as the consumer does."""
    adapter = CHANNELS[channel]
    message = adapter.decode(msgspec.json.encode(example(channel, kind, nth)))
    return adapter.to_commands(message)


def only(found: list[c.Command]) -> Any:
    """The single command of a mapping."""
    assert len(found) == 1, found
    return found[0]


class TestEveryChannel:
    @pytest.mark.parametrize("channel", list(CHANNELS))
    def test_has_an_example_of_every_kind(self, channel: str) -> None:
        adapter = CHANNELS[channel]
        types = typing.get_args(adapter.message_type) or (adapter.message_type,)

        kinds = {t.__struct_config__.tag for t in types}

        assert kinds == {e["kind"] for e in adapter.examples()}

    @pytest.mark.parametrize("channel", list(CHANNELS))
    def test_every_example_maps_to_valid_commands(self, channel: str) -> None:
        adapter = CHANNELS[channel]

        mapped = [cmd for e in adapter.examples()
                  for cmd in adapter.to_commands(adapter.decode(msgspec.json.encode(e)))]

        for command in mapped:  # constructing a Struct skips its constraints; converting checks
            assert msgspec.convert(msgspec.to_builtins(command), type(command)) == command


class TestOffice:
    def test_visit_records_an_inbound_contact_with_its_meter_reading(self) -> None:
        command = only(commands("office", "visit"))

        assert isinstance(command, c.RecordInteraction)
        assert (command.channel, command.direction) == (Channel.OFFICE, Direction.INBOUND)
        assert command.account_number == "7701234567"
        assert command.operator == "Петрова А.С."
        assert command.external_id == "cok-north-visit-2026-03-02-0017"
        assert command.meter_reading == MeterReading(meter_number="ЭМ-0042",
                                                     value=Decimal("12345.6"))
        assert command.summary.startswith("Приём в ЦОК Северный: Перерасчёт за февраль")

    def test_queue_ticket_records_how_long_the_client_waited(self) -> None:
        command = only(commands("office", "queue_ticket"))

        assert isinstance(command, c.RecordInteraction)
        assert command.occurred_at == datetime(2026, 3, 2, 9, 5, tzinfo=MSK)
        assert command.ended_at == datetime(2026, 3, 2, 9, 17, 30, tzinfo=MSK)  # called
        assert "талон A-015" in command.summary
        assert "ожидание 12 мин 30 с" in command.summary
        assert "окно 3" in command.summary

    def test_appeal_handed_in_on_paper_is_a_written_appeal(self) -> None:
        command = only(commands("office", "appeal"))

        assert isinstance(command, c.RegisterAppeal)
        assert (command.channel, command.form) == (Channel.OFFICE, AppealForm.WRITTEN)
        assert command.account_number == "123456"
        assert command.type is AppealType.STATEMENT
        assert command.reply_channel is Channel.MAIL
        assert command.contact is not None and command.contact.postal_address


class TestPhone:
    def test_call_started_stores_nothing_until_the_call_ends(self) -> None:
        found = commands("phone", "call_started")

        assert found == []

    def test_call_ended_records_the_call_with_its_length_and_topic(self) -> None:
        command = only(commands("phone", "call_ended"))

        assert isinstance(command, c.RecordInteraction)
        assert (command.channel, command.direction) == (Channel.PHONE, Direction.INBOUND)
        assert command.occurred_at == datetime(2026, 3, 2, 10, 1, 12, tzinfo=MSK)
        assert command.ended_at == datetime(2026, 3, 2, 10, 5, 17, tzinfo=MSK)  # survey from it
        assert command.summary == "Входящий звонок, 4 мин 05 с: Сроки оплаты счёта"
        assert command.operator == "Сидоров К.В."
        assert command.external_id == "pbx-call-88120-ended"

    def test_ivr_reading_is_an_ivr_contact_carrying_the_reading(self) -> None:
        command = only(commands("phone", "ivr_meter_reading"))

        assert isinstance(command, c.RecordInteraction)
        assert command.channel is Channel.IVR
        assert command.meter_reading == MeterReading(meter_number="ЭМ-0042",
                                                     value=Decimal("12350.1"))
        assert command.summary == "Показания через автоинформатор: счётчик ЭМ-0042 — 12350.1"

    def test_agreed_callback_carries_the_agreed_moment(self) -> None:
        command = only(commands("phone", "callback_agreed"))

        assert isinstance(command, c.RecordInteraction)
        assert command.callback_at == datetime(2026, 3, 3, 14, 0, tzinfo=MSK)
        assert command.occurred_at == datetime(2026, 3, 2, 10, 15, tzinfo=MSK)
        assert command.summary.startswith("Согласован обратный звонок на 2026-03-03T14:00")


class TestChat:
    def test_client_message_is_an_inbound_chat_contact(self) -> None:
        command = only(commands("chat", "message"))

        assert isinstance(command, c.RecordInteraction)
        assert (command.channel, command.direction) == (Channel.CHAT, Direction.INBOUND)
        assert command.summary == "Чат s-5521: Здравствуйте! Почему в счёте выросла сумма?"

    def test_question_registers_an_appeal_answered_in_the_chat(self) -> None:
        command = only(commands("chat", "appeal"))

        assert isinstance(command, c.RegisterAppeal)
        assert (command.channel, command.reply_channel) == (Channel.CHAT, Channel.CHAT)
        assert command.type is AppealType.INQUIRY
        assert command.subject == "Рост суммы в счёте"
        assert command.external_id == "chat-s-5521-appeal"

    def test_operator_joining_assigns_the_appeal_to_them(self) -> None:
        command = only(commands("chat", "operator_joined"))

        assert command == c.AssignAppeal(appeal_number="2026-000123", assignee="Кузнецова Е.А.",
                                         at=datetime(2026, 3, 2, 12, 1, 30, tzinfo=MSK))

    def test_deferral_defers_the_appeal_with_its_reason(self) -> None:
        command = only(commands("chat", "deferred"))

        assert isinstance(command, c.DeferAppeal)
        assert command.appeal_number == "2026-000123"
        assert command.at == datetime(2026, 3, 2, 17, 55, tzinfo=MSK)
        assert command.reason.startswith("Нужна справка")

    def test_out_of_hours_message_registers_an_appeal(self) -> None:
        command = only(commands("chat", "out_of_hours"))

        assert isinstance(command, c.RegisterAppeal)
        assert command.channel is Channel.CHAT
        assert command.received_at == datetime(2026, 3, 2, 23, 10, tzinfo=MSK)
        assert command.text == "Не могу передать показания в личном кабинете."
        assert command.contact == Contact(name="Иванов И.И.", phone="+7 916 000-00-02")


class TestWrittenChannels:
    def test_letter_is_a_written_appeal_known_by_its_registration_number(self) -> None:
        command = only(commands("mail", "letter_registered"))

        assert isinstance(command, c.RegisterAppeal)
        assert (command.channel, command.form) == (Channel.MAIL, AppealForm.WRITTEN)
        assert command.external_id == "ВХ-2026/0317"
        assert command.reply_channel is Channel.MAIL
        assert command.contact == Contact(name="Иванов И.И.",
                                          postal_address="Москва, ул. Ленина, 1, кв. 5")

    def test_email_is_an_appeal_answered_by_email_to_its_sender(self) -> None:
        command = only(commands("email", "email_received"))

        assert isinstance(command, c.RegisterAppeal)
        assert (command.channel, command.reply_channel) == (Channel.EMAIL, Channel.EMAIL)
        assert command.contact == Contact(name="Иван Иванов", email="ivanov@example.ru")
        assert command.external_id == "<CAF1234@mail.example.ru>"

    def test_email_meter_reading_is_an_email_contact(self) -> None:
        command = only(commands("email", "meter_reading"))

        assert isinstance(command, c.RecordInteraction)
        assert command.channel is Channel.EMAIL
        assert command.meter_reading == MeterReading(meter_number="ЭМ-0042",
                                                     value=Decimal("12352"))

    def test_portal_appeal_is_known_by_its_portal_identifier(self) -> None:
        command = only(commands("gis_zhkh", "appeal_imported"))

        assert isinstance(command, c.RegisterAppeal)
        assert command.channel is Channel.GIS_ZHKH
        assert command.external_id == "4f7c2a10-8e1b-4c55-9d3e-2b6f1a0c9e77"
        assert command.reply_channel is Channel.GIS_ZHKH
        assert command.type is AppealType.COMPLAINT


class TestPersonalAccount:
    @pytest.mark.parametrize(("nth", "channel"), [(0, Channel.PERSONAL_ACCOUNT),
                                                  (1, Channel.MOBILE_APP)])
    def test_the_channel_field_says_which_service(self, nth: int, channel: Channel) -> None:
        command = only(commands("personal_account", "meter_reading", nth))

        assert isinstance(command, c.RecordInteraction)
        assert command.channel is channel
        assert command.meter_reading is not None

    def test_app_appeal_is_answered_in_the_app_unless_asked_otherwise(self) -> None:
        command = only(commands("personal_account", "appeal"))

        assert isinstance(command, c.RegisterAppeal)
        assert (command.channel, command.reply_channel) == (Channel.MOBILE_APP,
                                                            Channel.MOBILE_APP)
        assert command.type is AppealType.PROPOSAL
