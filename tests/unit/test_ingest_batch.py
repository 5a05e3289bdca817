"""How a fetched batch is read (adapters/channels/intake.py): one message that cannot be read
is refused alone, and a repeat is one only where the ledger would recognise it as one."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from nats.aio.client import Client
from nats.aio.msg import Msg

from adapters.channels.dead_letters import fitted, header_size
from adapters.channels.intake import Batch
from adapters.channels.registry import CHANNELS

pytestmark = pytest.mark.unit

NESTED = b'{"kind":"call_ended","messageId":"d","x":' + b"[" * 1000 + b"]" * 1000 + b"}"


def fetched(*bodies: dict[str, Any] | bytes) -> list[Msg]:
    return [Msg(Client(), data=b if isinstance(b, bytes) else msgspec.json.encode(b))
            for b in bodies]


def example(channel: str, kind: str, **changes: Any) -> dict[str, Any]:
    payload = next(e for e in CHANNELS[channel].examples() if e["kind"] == kind)
    return {**payload, **changes}


class TestUnreadable:
    def test_json_nested_too_deeply_is_refused_alone(self) -> None:
        batch = Batch.read(CHANNELS["phone"], fetched(NESTED, example("phone", "call_ended")))

        refused, good = batch.deliveries
        assert refused.rejection is not None and refused.commands == []
        assert refused.rejection.code == "MALFORMED_JSON"
        assert "nested too deeply" in refused.rejection.reason
        assert good.rejection is None and len(good.commands) == 1
        assert batch.unique == [refused, good]


    def test_an_empty_message_is_said_to_be_empty(self) -> None:
        batch = Batch.read(CHANNELS["phone"], fetched(b"", b" \n"))

        assert [(d.rejection.code, d.rejection.reason.split(":")[0]) for d in batch.deliveries
                if d.rejection is not None] == [("MALFORMED_JSON", "the message is empty")] * 2


class TestRepeatKey:
    def test_one_registration_number_on_two_accounts_is_no_repeat(self) -> None:
        letters = [example("mail", "letter_registered", messageId=f"m{n}",
                           accountNumber=account, registrationNumber="VX-77")
                   for n, account in enumerate(("7701000001", "7701000002"))]

        batch = Batch.read(CHANNELS["mail"], fetched(*letters))

        assert batch.unique == batch.deliveries

    def test_one_registration_number_on_one_account_is_a_repeat(self) -> None:
        letters = [example("mail", "letter_registered", messageId=f"m{n}",
                           registrationNumber="VX-77") for n in (1, 2)]

        batch = Batch.read(CHANNELS["mail"], fetched(*letters))

        assert batch.unique == batch.deliveries[:1]


class TestFitted:
    def test_a_body_that_would_not_fit_is_cut_and_marked(self) -> None:
        headers = {"Ledger-Error": "ошибка " * 100}
        body = b"x" * 10_000

        cut = fitted(body, headers, 4_000)

        assert body.startswith(cut) and 0 < len(cut) < len(body)
        assert len(cut) + header_size(headers) <= 4_000
        assert headers["Ledger-Body-Truncated"] == "true"
        assert headers["Ledger-Original-Size"] == "10000"

    def test_a_body_that_fits_is_kept(self) -> None:
        headers = {"Ledger-Error": "bad"}

        assert fitted(b"x" * 100, headers, 4_000) == b"x" * 100
        assert headers == {"Ledger-Error": "bad"}
