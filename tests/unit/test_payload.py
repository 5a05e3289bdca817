"""The payload as clients read it: the fast path (top-level names renamed once per class) writes
the same JSON as the reference (every value to builtins, every key camelized)."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from projections.base import camelized, payload
from projections.payload import camel_payload, names_of
from tests.unit.test_transcoder import every_kind_of_event

EVENTS = every_kind_of_event()


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_the_fast_payload_is_the_reference_json(event: Any) -> None:
    fast = msgspec.json.encode(camel_payload(event))

    assert msgspec.json.decode(fast) == camelized(payload(event))


def test_most_event_classes_take_the_fast_path() -> None:
    slow = {type(e).__name__ for e in EVENTS if names_of(type(e)) is None}

    assert len(slow) < len({type(e) for e in EVENTS}) / 4, slow


def test_a_nested_key_is_camelized_on_either_path() -> None:
    registered = next(e for e in EVENTS if type(e).__name__ == "AppealRegistered")

    details = msgspec.json.decode(msgspec.json.encode(camel_payload(registered)))

    assert {"appealNumber", "receivedAt", "replyChannel"} <= details.keys()
    assert "reply_channel" not in details
