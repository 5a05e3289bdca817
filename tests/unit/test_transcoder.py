"""Stored events go through msgspec and come back as the same typed events (adapters/transcoder)."""

from __future__ import annotations

import dataclasses
import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from eventsourcing.utils import get_topic

from adapters.transcoder import MsgspecMapper, MsgspecTranscoder
from domain.account import Account
from domain.events import EVENT_CLASSES
from domain.values import (
    AccountKind,
    AppealType,
    Channel,
    Contact,
    Direction,
    MeterReading,
    WithoutConsiderationReason,
)
from tests.unit.notification_support import add_notification_history

pytestmark = pytest.mark.unit

MSK = timezone(timedelta(hours=3))
RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
OPERATOR = "operator-1"


class Tagged(Aggregate.Event):
    """A test event at its third version: v2 added `priority`, v3 renamed `label` to `title`."""

    class_version = 3

    title: str
    priority: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["priority"] = 0

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        state["title"] = state.pop("label")


def every_kind_of_event() -> list[Aggregate.Event]:
    """A real account history that holds at least one event of every stored type."""
    account = Account(number="1234567890", kind=AccountKind.INDIVIDUAL)
    account.record_interaction(
        channel=Channel.IVR, direction=Direction.INBOUND, occurred_at=RECEIVED,
        summary="Показания по IVR", operator=None, external_id="ivr-1",
        meter_reading=MeterReading(meter_number="M-0042", value=Decimal("12345.60")),
        recorded_by="ivr",
    )
    for number in ("2026-000001", "2026-000002"):
        account.register_appeal(
            appeal_number=number, form=None, channel=Channel.MAIL,
            appeal_type=AppealType.COMPLAINT, received_at=RECEIVED, subject="Счёт",
            text="Счёт завышен", contact=Contact(name="Иванов", email="i@example.ru"),
            reply_channel=Channel.EMAIL, external_id=f"sed-{number}", registered_by=OPERATOR,
        )
    first, repeat = "2026-000001", "2026-000002"
    later = RECEIVED + timedelta(days=1)
    account.assign_appeal(first, "ivanova", later, OPERATOR)
    account.request_clarification(first, "Уточните период", later, "ivanova")
    account.defer_appeal(first, "Конец смены", later, "ivanova")
    account.extend_appeal(first, "Запрос в сетевую организацию", later, "ivanova")
    account.answer_appeal(first, Channel.EMAIL, "Перерасчёт выполнен", later, "ivanova")
    account.close_appeal(first, "Клиент доволен", later, "ivanova")
    account.reply_out_of_hours(repeat, later, RECEIVED)
    account.mark_sla_at_risk(
        timer_id=f"{repeat}/written.answer/2", kind="written.answer", appeal_number=repeat,
        threshold=0.7, at=RECEIVED,
    )
    account.mark_sla_breached(
        timer_id=f"{repeat}/written.answer/2", kind="written.answer", appeal_number=repeat,
        due_at=RECEIVED, at=RECEIVED,
    )
    add_notification_history(account, later)
    account.leave_without_consideration(
        repeat, WithoutConsiderationReason.REPEATED, first, later, OPERATOR
    )
    caller = Account(number="U-0123456789abcdef", kind=AccountKind.UNIDENTIFIED)
    caller.link_to_account(account.number, later, OPERATOR)
    return [*account.collect_events(), *caller.collect_events()]  # type: ignore[list-item]


def assert_same_types(decoded: object, original: object) -> None:
    """Every field keeps its exact type (and a datetime its offset), nested Structs too."""
    if dataclasses.is_dataclass(original):
        names = [f.name for f in dataclasses.fields(original)]
    elif isinstance(original, msgspec.Struct):
        names = list(original.__struct_fields__)
    else:
        names = []
    for name in names:
        before, after = getattr(original, name), getattr(decoded, name)
        assert type(after) is type(before), (name, type(after), type(before))
        if isinstance(before, datetime):
            assert after.utcoffset() == before.utcoffset(), name
        assert_same_types(after, before)


def stored(topic: str, state: bytes) -> StoredEvent:
    return StoredEvent(originator_id=uuid4(), originator_version=1, topic=topic, state=state)


class TestRoundTrip:
    def test_history_covers_every_event_type(self) -> None:
        events = every_kind_of_event()

        covered = {base for base in EVENT_CLASSES for e in events if isinstance(e, base)}

        assert covered == set(EVENT_CLASSES)

    @pytest.mark.parametrize("event", every_kind_of_event(), ids=lambda e: type(e).__name__)
    def test_event_decodes_equal_with_field_types_kept(self, event: Aggregate.Event) -> None:
        mapper = MsgspecMapper()

        decoded = mapper.to_domain_event(mapper.to_stored_event(event))

        assert type(decoded) is type(event)
        assert decoded == event
        assert_same_types(decoded, event)

    def test_decoded_types_are_the_declared_ones(self) -> None:
        events = every_kind_of_event()
        mapper = MsgspecMapper()

        decoded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

        # UUIDs, offsets, Decimals and enums are not left as the strings JSON holds.
        interaction = decoded[1]
        assert isinstance(interaction, Account.InteractionRecorded)
        assert isinstance(interaction.originator_id, UUID)
        assert isinstance(interaction.interaction_id, UUID)
        assert interaction.occurred_at.utcoffset() == timedelta(hours=3)
        assert interaction.meter_reading is not None
        assert interaction.meter_reading.value == Decimal("12345.60")
        assert str(interaction.meter_reading.value) == "12345.60"  # trailing zero kept
        assert isinstance(interaction.channel, Enum)
        last = [e for e in decoded if e.originator_id == interaction.originator_id][-1]
        assert isinstance(last, Account.AppealLeftWithoutConsideration)
        assert last.reason is WithoutConsiderationReason.REPEATED
        link = decoded[-1]
        assert isinstance(link, Account.LinkedToAccount)
        assert link.account_number == "1234567890"

    def test_decoded_history_rebuilds_the_same_account(self) -> None:
        history = every_kind_of_event()
        events = [e for e in history if e.originator_id == history[0].originator_id]
        mapper = MsgspecMapper()
        decoded = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in events]

        rebuilt: Any = None
        for event in decoded:
            rebuilt = event.mutate(rebuilt)  # type: ignore[attr-defined]

        assert isinstance(rebuilt, Account)
        assert rebuilt.version == len(events)
        assert rebuilt.appeals["2026-000001"].status == "closed"
        assert rebuilt.appeals["2026-000002"].status == "left_without_consideration"
        assert rebuilt.known_reference("interaction", Channel.IVR, "ivr-1") is not None

    def test_compressed_and_enciphered_events_round_trip(self) -> None:
        cipher_module = pytest.importorskip("eventsourcing.cipher")
        from eventsourcing.utils import Environment

        key = cipher_module.AESCipher.create_key(16)
        cipher = cipher_module.AESCipher(Environment(env={"CIPHER_KEY": key}))
        mapper = MsgspecMapper(compressor=ZlibCompressor(), cipher=cipher)
        event = every_kind_of_event()[2]

        record = mapper.to_stored_event(event)

        assert "Иванов".encode() not in record.state
        assert mapper.to_domain_event(record) == event

    def test_stored_state_is_plain_json_without_identity_fields(self) -> None:
        event = every_kind_of_event()[0]

        record = MsgspecMapper().to_stored_event(event)

        state = msgspec.json.decode(record.state)
        assert state["number"] == "1234567890"
        assert "originator_id" not in state
        assert "class_version" not in state  # first versions store no version
        assert record.topic == "domain.account:Account.Opened"

    def test_undecodable_state_names_the_event(self) -> None:
        record = stored(get_topic(Account.AppealClosed), b'{"appeal_number": 1}')

        with pytest.raises(MapperDeserialisationError) as refused:
            MsgspecMapper().to_domain_event(record)

        assert "Account.AppealClosed" in str(refused.value)


class TestUpcasting:
    def test_contact_stored_before_call_backs_decodes_with_none_agreed(self) -> None:
        # An InteractionRecorded written by the first version: no callback_at, no version.
        old = stored(
            get_topic(Account.InteractionRecorded),
            b'{"timestamp":"2026-01-12T07:00:00Z","interaction_id":'
            b'"7a0c5f3e-1d2b-5c4a-9e8f-0a1b2c3d4e5f","channel":"phone","direction":"inbound",'
            b'"occurred_at":"2026-01-12T10:00:00+03:00","summary":"call","operator":null,'
            b'"external_id":null,"meter_reading":null,"recorded_by":"op"}',
        )

        event = MsgspecMapper().to_domain_event(old)

        assert isinstance(event, Account.InteractionRecorded)
        assert event.callback_at is None
        assert event.interaction_id == UUID("7a0c5f3e-1d2b-5c4a-9e8f-0a1b2c3d4e5f")
        assert event.channel is Channel.PHONE
        assert event.ended_at is None and event.ended == event.occurred_at

    def test_contact_stored_before_its_end_was_recorded_ended_as_it_began(self) -> None:
        old = stored(  # the second version: a call back, no end
            get_topic(Account.InteractionRecorded),
            b'{"timestamp":"2026-01-12T07:00:00Z","interaction_id":'
            b'"7a0c5f3e-1d2b-5c4a-9e8f-0a1b2c3d4e5f","channel":"phone","direction":"inbound",'
            b'"occurred_at":"2026-01-12T10:00:00+03:00","summary":"call","operator":null,'
            b'"external_id":null,"meter_reading":null,"recorded_by":"op",'
            b'"callback_at":"2026-01-12T15:00:00+03:00","class_version":2}',
        )

        event = MsgspecMapper().to_domain_event(old)

        assert isinstance(event, Account.InteractionRecorded)
        assert event.callback_at == datetime(2026, 1, 12, 12, 0, tzinfo=UTC)
        assert event.ended_at is None
        assert event.ended == datetime(2026, 1, 12, 7, 0, tzinfo=UTC)

    def test_current_version_round_trips_with_its_version_stored(self) -> None:
        fields: dict[str, Any] = {
            "originator_id": uuid4(), "originator_version": 1, "timestamp": datetime.now(UTC),
            "title": "срочно", "priority": 5,
        }  # fmt: skip
        event = Tagged(**fields)
        mapper = MsgspecMapper()

        record = mapper.to_stored_event(event)

        assert msgspec.json.decode(record.state)["class_version"] == 3
        assert mapper.to_domain_event(record) == event

    def test_first_version_is_upcast_through_every_step(self) -> None:
        # Stored before `priority` existed and while `title` was still called `label`.
        old = stored(get_topic(Tagged), b'{"timestamp":"2025-01-10T09:00:00Z","label":"old"}')

        event = MsgspecMapper().to_domain_event(old)

        assert isinstance(event, Tagged)
        assert (event.title, event.priority) == ("old", 0)
        assert event.timestamp == datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
        assert not hasattr(event, "label")

    def test_second_version_is_upcast_from_where_it_is(self) -> None:
        old = stored(
            get_topic(Tagged),
            b'{"timestamp":"2025-06-01T09:00:00+03:00","label":"v2","priority":7,'
            b'"class_version":2}',
        )

        event = MsgspecMapper().to_domain_event(old)

        assert isinstance(event, Tagged)
        assert (event.title, event.priority) == ("v2", 7)  # not reset by the v1 step
        assert event.timestamp.utcoffset() == timedelta(hours=3)


if importlib.util.find_spec("Crypto") is not None:  # eventsourcing[crypto]
    from eventsourcing.tests import persistence as library

    _JSON_SHAPES = "msgspec writes tuples and subclasses of builtins as plain JSON"
    _TYPED = "msgspec decodes by each event's type hints instead of registered transcodings"

    class TestLibraryTranscoderContract(library.TranscoderTestCase):
        """The eventsourcing library's own transcoder tests, as its JSON transcoder runs them."""

        def construct_transcoder(self) -> MsgspecTranscoder:
            return MsgspecTranscoder()

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_tuple(self) -> None: ...

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_mixed(self) -> None: ...

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_dict_subclass(self) -> None: ...

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_list_subclass(self) -> None: ...

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_str_subclass(self) -> None: ...

        @pytest.mark.skip(reason=_JSON_SHAPES)
        def test_int_subclass(self) -> None: ...

        @pytest.mark.skip(reason=_TYPED)
        def test_custom_type_in_dict(self) -> None: ...

        @pytest.mark.skip(reason=_TYPED)
        def test_nested_custom_type(self) -> None: ...

        def test_custom_type_error(self) -> None:
            # Still a TypeError naming the type, in msgspec's words rather than the library's.
            for obj in (library.MyClass(), {"a": library.MyClass()}):
                with pytest.raises(TypeError, match="MyClass"):
                    self.transcoder.encode(obj)

            decoded = self.transcoder.decode(b'{"_type_":"custom_type3_as_dict","_data_":""}')

            assert decoded == {"_type_": "custom_type3_as_dict", "_data_": ""}
