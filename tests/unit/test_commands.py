"""Commands are validated by msgspec at the boundary; errors name the field path of the API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from domain import commands as c
from domain.calendar import BusinessCalendar
from domain.errors import ValidationError
from domain.ledger import Ledger
from domain.values import AppealForm, AppealType, Channel, Contact, Direction, MeterReading
from tests.unit.test_sla_marks import MemoryNumbers

pytestmark = pytest.mark.unit

APPEAL: dict[str, Any] = {
    "accountNumber": "1234567890",
    "channel": "mail",
    "type": "complaint",
    "receivedAt": "2026-03-02T10:00:00+03:00",
    "subject": "Счёт за март",
    "text": "Прошу пересчитать счёт",
    "contact": {"name": "Иванов И.И.", "postalAddress": "Москва, ул. Ленина, 1"},
    "replyChannel": "mail",
    "externalId": "sed-2026-17",
}
"""A registerAppeal payload as a client sends it (camelCase keys)."""

READING: dict[str, Any] = {
    "accountNumber": "1234567890",
    "channel": "ivr",
    "direction": "inbound",
    "occurredAt": "2026-03-02T10:00:00Z",
    "summary": "Показания по IVR",
    "meterReading": {"meterNumber": "M-0042", "value": "12345.6"},
}
"""A recordInteraction payload carrying a meter reading."""


def refusal(payload: dict[str, Any], command: type[c.Command]) -> str:
    """The validation message msgspec gives for the payload."""
    with pytest.raises(msgspec.ValidationError) as refused:
        msgspec.convert(payload, command)
    return str(refused.value)


class TestRegisterAppeal:
    def test_good_payload_is_accepted_with_typed_fields(self) -> None:
        payload = dict(APPEAL)

        command = msgspec.convert(payload, c.RegisterAppeal)

        assert command.account_number == "1234567890"
        assert command.channel is Channel.MAIL
        assert command.type is AppealType.COMPLAINT
        assert command.received_at.utcoffset() == timedelta(hours=3)
        assert command.contact == Contact(
            name="Иванов И.И.", postal_address="Москва, ул. Ленина, 1"
        )
        assert command.reply_channel is Channel.MAIL
        assert command.external_id == "sed-2026-17"
        assert command.form is None  # decided later from the channel

    def test_optional_fields_may_be_left_out(self) -> None:
        payload = {k: APPEAL[k] for k in ("accountNumber", "channel", "type", "receivedAt",
                                          "subject", "text")}

        command = msgspec.convert(payload, c.RegisterAppeal)

        assert (command.contact, command.reply_channel, command.external_id) == (None, None, None)

    def test_stated_form_is_kept(self) -> None:
        payload = APPEAL | {"channel": "office", "form": "written"}

        command = msgspec.convert(payload, c.RegisterAppeal)

        assert command.form is AppealForm.WRITTEN

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("receivedAt", "2026-03-02T10:00:00", "with a timezone component"),
            ("accountNumber", "12ab", "matching regex"),
            ("accountNumber", "12345", "matching regex"),
            ("accountNumber", 1234567890, "Expected `str`"),
            ("channel", "fax", "Invalid enum value 'fax'"),
            ("type", "gratitude", "Invalid enum value 'gratitude'"),
            ("text", "", "length >= 1"),
            ("subject", "x" * 501, "length <= 500"),
            ("externalId", "", "length >= 1"),
        ],
    )
    def test_bad_field_is_refused_naming_its_path(
        self, field: str, value: object, message: str
    ) -> None:
        payload = APPEAL | {field: value}

        error = refusal(payload, c.RegisterAppeal)

        assert message in error
        assert error.endswith(f"at `$.{field}`")

    def test_missing_field_is_named(self) -> None:
        payload = {k: v for k, v in APPEAL.items() if k != "text"}

        error = refusal(payload, c.RegisterAppeal)

        assert error == "Object missing required field `text`"

    def test_snake_case_keys_are_not_the_wire_format(self) -> None:
        payload = {k: v for k, v in APPEAL.items() if k != "accountNumber"} | {
            "account_number": "1234567890"
        }

        error = refusal(payload, c.RegisterAppeal)

        assert "accountNumber" in error


class TestRecordInteraction:
    def test_meter_reading_is_a_decimal(self) -> None:
        payload = dict(READING)

        command = msgspec.convert(payload, c.RecordInteraction)

        assert command.direction is Direction.INBOUND
        assert command.meter_reading == MeterReading(
            meter_number="M-0042", value=Decimal("12345.6")
        )
        assert type(command.meter_reading.value) is Decimal
        assert command.occurred_at.utcoffset() == timedelta(0)

    @pytest.mark.parametrize("value", ["-1", "-0.001", "NaN", "Infinity"])
    def test_meter_value_must_be_finite_zero_or_more(self, value: str) -> None:
        payload = READING | {"meterReading": {"meterNumber": "M-0042", "value": value}}

        error = refusal(payload, c.RecordInteraction)

        assert error == "a meter reading is a finite number, zero or more - at `$.meterReading`"

    def test_meter_number_is_checked_inside_the_reading(self) -> None:
        payload = READING | {"meterReading": {"meterNumber": "", "value": "1"}}

        error = refusal(payload, c.RecordInteraction)

        assert error.endswith("at `$.meterReading.meterNumber`")

    def test_naive_occurred_at_is_refused(self) -> None:
        payload = READING | {"occurredAt": "2026-03-02T10:00:00"}

        error = refusal(payload, c.RecordInteraction)

        assert error.endswith("at `$.occurredAt`")


class TestAppealCommands:
    def test_leave_without_consideration_names_the_earlier_appeal(self) -> None:
        payload = {"appealNumber": "2026-000002", "reason": "repeated",
                   "relatedAppealNumber": "2026-000001"}

        command = msgspec.convert(payload, c.LeaveWithoutConsideration)

        assert command.related_appeal_number == "2026-000001"
        assert command.at is None  # the ledger uses the time of the request

    @pytest.mark.parametrize(
        ("command", "payload", "path"),
        [
            (c.AssignAppeal, {"appealNumber": "26-1", "assignee": "ivanova"}, "$.appealNumber"),
            (c.AssignAppeal, {"appealNumber": "2026-000001", "assignee": ""}, "$.assignee"),
            (c.AnswerAppeal, {"appealNumber": "2026-000001", "channel": "email", "text": "ok",
                              "at": "2026-03-02T10:00:00"}, "$.at"),
            (c.LeaveWithoutConsideration, {"appealNumber": "2026-000001", "reason": "rude"},
             "$.reason"),
            (c.LeaveWithoutConsideration, {"appealNumber": "2026-000001", "reason": "repeated",
                                           "relatedAppealNumber": "1"}, "$.relatedAppealNumber"),
        ],
    )  # fmt: skip
    def test_bad_field_is_refused_naming_its_path(
        self, command: type[c.Command], payload: dict[str, Any], path: str
    ) -> None:
        error = refusal(payload, command)

        assert error.endswith(f"at `{path}`")


class TestStorableText:
    """A NUL character is accepted by msgspec and by the event store, but by no read model:
    the first event carrying one stopped the timeline for every account."""

    @pytest.mark.parametrize(("patch", "field"), [
        ({"subject": "Счёт\x00"}, "subject"),
        ({"contact": {"name": "Иванов\x00", "email": "a@b.ru"}}, "contact.name"),
        ({"externalId": "\x00"}, "externalId"),
    ])
    def test_a_nul_anywhere_is_refused_by_its_field(
        self, ledger: Ledger, patch: dict[str, Any], field: str
    ) -> None:
        command = msgspec.convert(APPEAL | patch, c.RegisterAppeal)

        with pytest.raises(ValidationError) as refused:
            ledger.execute(command, "operator", NOW)

        assert refused.value.field == field
        assert refused.value.message == f"{field} must not contain a NUL character (U+0000)"
        assert ledger.account(APPEAL["accountNumber"]) is None  # nothing stored

    @pytest.mark.parametrize("moment", ["9999-12-30T00:00:00+00:00", "0001-01-01T00:00:00+23:59",
                                        "1899-12-31T23:59:59+00:00"])
    def test_a_moment_past_the_calendar_s_ends_is_refused(
        self, ledger: Ledger, moment: str
    ) -> None:
        command = msgspec.convert(APPEAL | {"receivedAt": moment}, c.RegisterAppeal)

        with pytest.raises(ValidationError) as refused:
            ledger.execute(command, "operator", NOW)

        assert (refused.value.field, refused.value.message) == (
            "receivedAt", "receivedAt must be from 1900 to 2199")
        assert ledger.account(APPEAL["accountNumber"]) is None

    def test_other_control_characters_are_text_like_any_other(self, ledger: Ledger) -> None:
        command = msgspec.convert(APPEAL | {"text": "строка\tи\nещё\x01"}, c.RegisterAppeal)

        ledger.execute(command, "operator", NOW)

        assert ledger.account(APPEAL["accountNumber"]) is not None


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    app = Ledger({"PERSISTENCE_MODULE": "eventsourcing.popo",
                  "MAPPER_TOPIC": "adapters.transcoder:MsgspecMapper"},
                 numbers=MemoryNumbers(), calendar=BusinessCalendar())
    yield app
    app.close()


NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
