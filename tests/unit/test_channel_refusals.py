"""Why a channel message is refused: the dead-letter reason names the field, or it is retried."""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg
import pytest

from adapters.channels.dead_letters import Rejection, rejection_of
from adapters.channels.registry import CHANNELS
from domain.errors import ConflictError, InvalidTransitionError, NotFoundError, ValidationError
from domain.identity import ACCOUNT_NUMBER_PATTERN

pytestmark = pytest.mark.unit


def refusal(channel: str, body: bytes) -> Rejection:
    """The rejection decoding `body` on `channel` gives."""
    with pytest.raises(msgspec.DecodeError) as raised:
        CHANNELS[channel].decode(body)
    rejection = rejection_of(raised.value)
    assert rejection is not None
    return rejection


def call_ended(**changes: Any) -> bytes:
    """The phone example `call_ended`, changed; a None value removes the field."""
    payload = next(e for e in CHANNELS["phone"].examples() if e["kind"] == "call_ended")
    payload = {**payload, **changes}
    return msgspec.json.encode({k: v for k, v in payload.items() if v is not None})


class TestDecodingRefusals:
    def test_truncated_json_is_refused_as_malformed(self) -> None:
        rejection = refusal("phone", b'{"kind": "call_ended", "messageId": ')

        assert rejection.code == "MALFORMED_JSON"
        assert rejection.reason == "JSON is malformed: Input data was truncated"

    def test_invalid_json_is_refused_as_malformed(self) -> None:
        rejection = refusal("phone", b"not json")

        assert rejection.code == "MALFORMED_JSON"
        assert rejection.reason.startswith("JSON is malformed: invalid character")

    def test_a_wrong_type_names_its_field(self) -> None:
        rejection = refusal("phone", call_ended(startedAt=1_772_434_872))

        assert rejection == Rejection(
            "VALIDATION", "Expected `datetime`, got `int` - at `$.startedAt`", "$.startedAt"
        )

    def test_a_missing_field_is_named_with_its_path(self) -> None:
        rejection = refusal("phone", call_ended(accountNumber=None))

        assert rejection.code == "VALIDATION"
        assert rejection.field == "$.accountNumber"
        assert "missing required field `accountNumber`" in rejection.reason

    def test_a_missing_nested_field_is_named_with_its_path(self) -> None:
        body = msgspec.json.encode({**CHANNELS["phone"].examples()[2],
                                    "meterReading": {"meterNumber": "ЭМ-0042"}})

        rejection = refusal("phone", body)

        assert rejection.field == "$.meterReading.value"

    def test_an_unknown_account_format_is_refused(self) -> None:
        rejection = refusal("phone", call_ended(accountNumber="ЛС-77/01"))

        assert rejection.field == "$.accountNumber"
        assert ACCOUNT_NUMBER_PATTERN in rejection.reason

    def test_an_unknown_callers_number_must_be_a_phone_number(self) -> None:
        payload = next(e for e in CHANNELS["phone"].examples()
                       if e["kind"] == "unknown_call_ended")
        rejection = refusal("phone", msgspec.json.encode({**payload, "callerNumber": "12"}))

        assert rejection.code == "VALIDATION"
        assert "callerNumber: not a phone number: 10 to 15 digits" in rejection.reason
        assert "'12'" not in rejection.reason  # a caller's number is personal data: never logged

    def test_an_unknown_senders_address_must_be_an_e_mail_address(self) -> None:
        payload = next(e for e in CHANNELS["email"].examples()
                       if e["kind"] == "unknown_email_received")
        rejection = refusal("email", msgspec.json.encode({**payload, "fromAddress": "petrova"}))

        assert rejection.code == "VALIDATION"
        assert "fromAddress: not an e-mail address: name@domain" in rejection.reason
        assert "petrova" not in rejection.reason

    def test_an_unknown_kind_is_refused(self) -> None:
        rejection = refusal("phone", call_ended(kind="call_transferred"))

        assert rejection.field == "$.kind"

    def test_moments_out_of_order_are_refused(self) -> None:
        rejection = refusal("phone", call_ended(endedAt="2026-03-02T09:00:00+03:00"))

        assert rejection.code == "VALIDATION"
        assert rejection.reason.startswith("endedAt is before startedAt")
        assert rejection.field == "$.endedAt"


class TestLedgerRefusals:
    def test_a_domain_validation_error_names_its_field(self) -> None:
        rejection = rejection_of(ValidationError("bad channel", "channel"))

        assert rejection == Rejection("VALIDATION", "bad channel (command field channel)",
                                      "channel")

    @pytest.mark.parametrize("error", [
        NotFoundError("appeal 2026-000999 not found"),
        InvalidTransitionError("2026-000001", "closed", "defer"),
    ])
    def test_missing_appeals_and_forbidden_transitions_are_refused(
        self, error: NotFoundError | InvalidTransitionError
    ) -> None:
        rejection = rejection_of(error)

        assert rejection == Rejection(error.code, error.message)

    @pytest.mark.parametrize("error", [
        psycopg.OperationalError("connection refused"),
        ConflictError("the account kept changing"),
        TimeoutError(),
    ])
    def test_infrastructure_trouble_is_retried_not_refused(self, error: Exception) -> None:
        rejection = rejection_of(error)

        assert rejection is None
