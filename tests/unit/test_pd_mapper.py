"""Personal fields are sealed in stored events, opened with the stream's key, erased without."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

import msgspec
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent

from adapters.pd_keys import DataKey, MissingKeyError
from adapters.pd_mapper import PersonalDataMapper
from adapters.transcoder import MsgspecMapper
from domain.account import Account
from domain.errors import InvalidTransitionError
from domain.personal_data import erased_value
from domain.values import (
    ERASED,
    AccountKind,
    AppealType,
    Channel,
    Contact,
    Direction,
    WithoutConsiderationReason,
)

pytestmark = pytest.mark.unit

MSK = timezone(timedelta(hours=3))
AT = datetime(2026, 3, 2, 10, 0, tzinfo=MSK)
SECRET = "Петрова Ольга, +79001234567"


class MemoryKeys:
    """The key store's contract, in memory: one generation a stream, destroyable."""

    def __init__(self) -> None:
        self.keys: dict[UUID, DataKey] = {}

    def for_write(self, stream: UUID) -> DataKey:
        key = self.keys.get(stream)
        if key is None or key.cipher is None:
            generation = 1 if key is None else key.generation + 1
            key = self.keys[stream] = DataKey(generation, AESGCM(AESGCM.generate_key(256)))
        return key

    def for_read(self, stream: UUID, generation: int) -> AESGCM | None:
        key = self.keys.get(stream)
        if key is None:
            raise MissingKeyError(f"no data key for {stream}")
        return key.cipher if generation == key.generation else None

    def destroy(self, stream: UUID) -> None:
        self.keys[stream] = DataKey(self.keys[stream].generation, None)


@pytest.fixture
def keys() -> MemoryKeys:
    return MemoryKeys()


@pytest.fixture
def mapper(keys: MemoryKeys) -> PersonalDataMapper:
    bound = type("BoundMapper", (PersonalDataMapper,), {"keys": keys})
    return bound()  # type: ignore[no-any-return]


def account_with_history(contact: Contact | None = None) -> Account:
    account = Account(number="4400112233", kind=AccountKind.INDIVIDUAL)
    account.register_appeal(
        appeal_number="2026-000001", form=None, channel=Channel.MAIL,
        appeal_type=AppealType.COMPLAINT, received_at=AT, subject=f"Тема: {SECRET}",
        text=f"Текст: {SECRET}", contact=contact or Contact(name=SECRET, phone="+7900"),
        reply_channel=None, external_id=None, registered_by="op")
    account.record_interaction(channel=Channel.PHONE, direction=Direction.INBOUND,
                               occurred_at=AT, summary=SECRET, operator=None,
                               external_id=None, meter_reading=None, recorded_by="op")
    return account


def stored(mapper: MsgspecMapper, account: Account) -> list[tuple[Any, StoredEvent]]:
    return [(e, mapper.to_stored_event(e)) for e in account.collect_events()]


class TestSealing:
    def test_events_come_back_as_they_were(self, mapper: PersonalDataMapper) -> None:
        for event, record in stored(mapper, account_with_history()):
            assert vars(mapper.to_domain_event(record)) == vars(event)

    def test_personal_fields_are_not_stored_in_the_clear(self, mapper: PersonalDataMapper) -> None:
        states = [record.state for _, record in stored(mapper, account_with_history())]

        assert all(SECRET.encode() not in s for s in states)
        assert [b'"sealed"' in s for s in states] == [False, True, True]

    def test_an_absent_personal_value_stays_plain_null(self, mapper: PersonalDataMapper) -> None:
        account = account_with_history()
        account.register_appeal(
            appeal_number="2026-000002", form=None, channel=Channel.OFFICE,
            appeal_type=AppealType.INQUIRY, received_at=AT, subject="s", text="t", contact=None,
            reply_channel=None, external_id=None, registered_by="op")

        state = msgspec.json.decode(stored(mapper, account)[-1][1].state)

        assert state["contact"] is None and "subject" not in state

    def test_a_sealed_value_cannot_be_moved_to_another_event(
        self, mapper: PersonalDataMapper
    ) -> None:
        (_, first), (_, second), _ = stored(mapper, account_with_history())
        moved = StoredEvent(first.originator_id, second.originator_version + 5, second.topic,
                            second.state)

        with pytest.raises(MapperDeserialisationError):
            mapper.to_domain_event(moved)

    def test_events_stored_before_sealing_still_read(self, mapper: PersonalDataMapper) -> None:
        for event, record in stored(MsgspecMapper(), account_with_history()):
            assert vars(mapper.to_domain_event(record)) == vars(event)

    def test_a_missing_key_is_an_error(self, mapper: PersonalDataMapper, keys: MemoryKeys) -> None:
        records = stored(mapper, account_with_history())
        keys.keys.clear()

        with pytest.raises(MapperDeserialisationError, match="no data key"):
            mapper.to_domain_event(records[1][1])


class TestErased:
    def test_a_destroyed_key_reads_erased_in_every_personal_field(
        self, mapper: PersonalDataMapper, keys: MemoryKeys
    ) -> None:
        records = stored(mapper, account_with_history())
        keys.destroy(records[0][0].originator_id)

        registered, call = (mapper.to_domain_event(r) for _, r in records[1:])

        assert (registered.subject, registered.text, call.summary) == (  # type: ignore[attr-defined]
            ERASED, ERASED, ERASED)
        assert registered.contact == Contact(  # type: ignore[attr-defined]
            name=ERASED, phone=ERASED, email=ERASED, postal_address=ERASED)
        assert registered.channel == Channel.MAIL  # type: ignore[attr-defined]

    def test_data_written_after_the_erasure_reads_under_the_next_key(
        self, mapper: PersonalDataMapper, keys: MemoryKeys
    ) -> None:
        account = account_with_history()
        old = stored(mapper, account)
        keys.destroy(account.id)
        account.record_interaction(channel=Channel.CHAT, direction=Direction.INBOUND,
                                   occurred_at=AT, summary="снова", operator=None,
                                   external_id=None, meter_reading=None, recorded_by="op")

        new = stored(mapper, account)

        assert mapper.to_domain_event(new[0][1]).summary == "снова"  # type: ignore[attr-defined]
        assert mapper.to_domain_event(old[2][1]).summary == ERASED  # type: ignore[attr-defined]

    def test_an_erased_contact_reaches_no_one(self) -> None:
        assert not erased_value(Contact).reachable()

    def test_a_personal_field_of_a_type_without_a_marker_is_refused(self) -> None:
        with pytest.raises(TypeError, match="no erased marker"):
            erased_value(int)
        assert erased_value(str | None) == ERASED


class TestErasureInTheAggregate:
    def test_after_erasure_no_contact_is_a_valid_reason(self) -> None:
        account = account_with_history(Contact(phone="+79001234567"))
        with pytest.raises(InvalidTransitionError):
            account.leave_without_consideration(
                "2026-000001", WithoutConsiderationReason.NO_CONTACT, None, AT, "op")

        account.erase_personal_data("152-ФЗ ст. 21", AT, "admin")
        account.leave_without_consideration(
            "2026-000001", WithoutConsiderationReason.NO_CONTACT, None, AT, "op")

        assert account.appeals["2026-000001"].contact == erased_value(Contact)
