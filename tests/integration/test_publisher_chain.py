"""The publisher's chained batches on a real NATS and PostgreSQL: one ack answers for a batch,
a broken chain is repaired without gap or duplicate, and the fast bodies equal the reference."""

from __future__ import annotations

import asyncio
import dataclasses
from decimal import Decimal
from typing import Any

import pytest
from nats.js.errors import APIError
from psycopg import Connection

from adapters.bootstrap import Services
from adapters.follower import LogFollower
from adapters.nats import publisher as publisher_module
from adapters.nats.bodies import body
from adapters.nats.messages import encode, event_id, event_message
from adapters.nats.publisher import NAME, NatsEventPublisher
from adapters.nats.sending import outgoing
from adapters.nats.stored_pages import MessageFollower
from adapters.nats.streams import Subjects
from adapters.projector import position_of
from domain import commands as c
from domain import notification_commands as n
from domain.notification_values import NotificationChannel, NotificationKind, Trigger
from domain.values import Channel, Direction, MeterReading
from tests.conftest import NatsNames
from tests.integration import audit_support, pd_support
from tests.integration.test_publisher import (
    T0,
    assert_each_event_once_in_order,
    call,
    jetstream,
    logged_after,
    new_account_number,
    ordered_consumer_reads,
    publish_from_head,
    services,  # noqa: F401  (the module's ledger fixture)
    settings_for,
    write,
)

pytestmark = pytest.mark.integration


def varied_log(services: Services) -> int:  # noqa: F811
    """Appeals through their lifecycle, a meter reading, a notification (a nested struct with
    snake_case keys: the reference path), and an account erased; the position before them."""
    start = publish_from_head(services)
    audit_support.history(services, new_account_number())
    account = new_account_number()
    appeal_number = pd_support.history(services, account)
    pd_support.erase_now(services, account)
    services.committer.execute(c.RecordInteraction(
        account_number=account, channel=Channel.OFFICE, direction=Direction.INBOUND,
        occurred_at=T0, summary="Показания", meter_reading=MeterReading(
            meter_number="A-17", value=Decimal("1234.50"))), "operator-1", T0)
    services.committer.execute(n.RequestNotification(
        account_number=account, kind=NotificationKind.APPEAL_ANSWER,
        trigger=Trigger(rule="appeal.answered", ref="x", appeal_number=appeal_number),
        channels=(NotificationChannel.EMAIL,), subject="Ответ", text="Готово", at=T0),
        "operator-1", T0)
    pd_support.history(services, new_account_number())  # personal data readable
    return start


class TestBodies:
    def test_fast_bodies_equal_the_reference_for_every_stored_event(
        self, services: Services  # noqa: F811
    ) -> None:
        # Arrange
        start = varied_log(services)

        # Act
        logged = logged_after(services, start)
        bodies = [body(event) for event in logged]

        # Assert: byte for byte what messages.py defines, under the same event id.
        assert {"AppealClosed", "PersonalDataErased", "NotificationRequested",
                "InteractionRecorded"} <= {event.type for event in logged}
        assert [(b.msg_id, b.json) for b in bodies] == [
            (str(event_id(event)), encode(event_message(event))) for event in logged]
        assert b'"[erased]"' in b"".join(b.json for b in bodies)
        assert pd_support.SECRET.encode() in b"".join(b.json for b in bodies)

    def test_messages_read_from_stored_json_equal_those_of_decoded_events(
        self, services: Services, monkeypatch: pytest.MonkeyPatch  # noqa: F811
    ) -> None:
        # Arrange
        start = varied_log(services)
        follower = MessageFollower(services.ledger, services.url)
        decoded: list[str] = []
        reference_path = follower._reference

        def noting(row: Any) -> Any:
            made = reference_path(row)
            decoded.append(made[1])
            return made

        monkeypatch.setattr(follower, "_reference", noting)

        # Act: the stored JSON reused, and the mapper's decoded events encoded.
        try:
            fast = follower.messages(Subjects(), start, 10_000)
            reference = outgoing(Subjects(), logged_after(services, start))
        finally:
            follower.close()

        # Assert: the same subjects, headers and bodies, byte for byte; only the class with
        # a nested snake_case struct was decoded.
        assert len(fast) == len(reference) > 15
        assert fast == reference
        assert decoded == ["NotificationRequested"]


class CrashError(Exception):
    """The process dies between JetStream's ack and the position record."""


class TestBrokenChain:
    async def test_a_batch_whose_middle_message_is_lost_is_completed_without_gap_or_duplicate(
        self, services: Services, nats_server_url: str, nats_names: NatsNames,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Arrange: 20 events in the log; the 5th message of the first batch never leaves.
        settings = settings_for(nats_names, "lost")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        await asyncio.to_thread(write, services, [
            call(new_account_number(), f"Звонок {i}") for i in range(10)])
        expected = await asyncio.to_thread(logged_after, services, start)
        follower = LogFollower(services.ledger, services.url)
        async with jetstream(nats_server_url, settings) as js:
            client = js._nc
            publish, sent = client.publish, [0]

            async def losing_the_fifth(subject: str, *args: Any, **kwargs: Any) -> None:
                if subject.startswith(f"{subjects.prefix}.events."):
                    sent[0] += 1
                if sent[0] != 5:
                    await publish(subject, *args, **kwargs)

            monkeypatch.setattr(client, "publish", losing_the_fifth)
            publisher = NatsEventPublisher(services.pool, follower, js, subjects)

            # Act: the first step fails on the last ack; the next one completes the batch.
            with pytest.raises(APIError, match="wrong last msg ID"):
                await publisher.step()
            after_failure = (await js.stream_info(subjects.stream)).state.messages
            position_after_failure = await asyncio.to_thread(position_of, services.pool, NAME)
            completed = await publisher.step()
            received = await ordered_consumer_reads(js, subjects, len(expected))
            info = await js.stream_info(subjects.stream)
        follower.close()

        # Assert: the chain stopped at the gap; nothing recorded past what the stream held.
        assert len(expected) == 20
        assert (after_failure, position_after_failure) == (4, start)
        assert completed == len(expected)
        assert_each_event_once_in_order(received, expected, subjects)
        assert info.state.messages == len(expected)

    async def test_a_batch_sent_again_when_the_stream_cannot_tell_is_dropped_as_duplicates(
        self, services: Services, nats_server_url: str, nats_names: NatsNames,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Arrange: a batch acknowledged but its position never recorded, and a stream that
        # cannot say what it holds (as if its last message were unknown).
        settings = settings_for(nats_names, "dups")
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        await asyncio.to_thread(write, services, [
            call(new_account_number(), f"Звонок {i}") for i in range(6)])
        expected = await asyncio.to_thread(logged_after, services, start)
        follower = LogFollower(services.ledger, services.url)

        async def unknown(*_: Any) -> int:
            return 0

        monkeypatch.setattr(publisher_module, "stored_prefix", unknown)
        async with jetstream(nats_server_url, settings) as js:
            publisher = NatsEventPublisher(services.pool, follower, js, subjects)
            record, crashes = publisher._record, [CrashError("killed before the record")]

            def record_unless_crashing(conn: Connection[Any], position: int) -> None:
                if crashes:
                    raise crashes.pop()
                record(conn, position)

            monkeypatch.setattr(publisher, "_record", record_unless_crashing)

            # Act: the whole batch goes out again.
            with pytest.raises(CrashError):
                await publisher.step()
            republished = await publisher.step()
            received = await ordered_consumer_reads(js, subjects, len(expected))
            info = await js.stream_info(subjects.stream)
        follower.close()

        # Assert: every repeat dropped by its Nats-Msg-Id; stored and delivered once.
        assert republished == len(expected) == 12
        assert (info.state.messages, info.state.last_seq) == (12, 12)
        assert_each_event_once_in_order(received, expected, subjects)


class TestTakeover:
    async def test_a_batch_another_publisher_sent_past_the_window_is_not_sent_again(
        self, services: Services, nats_server_url: str, nats_names: NatsNames,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        # Arrange: two publishers (two `ledger serve`) on one stream with a one-second window.
        # The first records a batch; the second sends the next and dies before recording it.
        settings = dataclasses.replace(settings_for(nats_names, "takeover"),
                                       nats_duplicate_window_seconds=1.0)
        subjects = Subjects.of(settings)
        start = await asyncio.to_thread(publish_from_head, services)
        accounts = [new_account_number() for _ in range(2)]
        await asyncio.to_thread(write, services, [call(accounts[0], f"Звонок {i}")
                                                  for i in range(4)])
        recorded = await asyncio.to_thread(logged_after, services, start)
        async with jetstream(nats_server_url, settings) as js:
            follower, dying = (LogFollower(services.ledger, services.url) for _ in range(2))
            first = NatsEventPublisher(services.pool, follower, js, subjects,
                                       recheck_seconds=0.5)
            second = NatsEventPublisher(services.pool, dying, js, subjects,
                                        recheck_seconds=0.5)
            assert await first.step() == len(recorded)
            await asyncio.to_thread(write, services, [call(accounts[1], f"Звонок {i}")
                                                      for i in range(5)])
            expected = await asyncio.to_thread(logged_after, services, start)

            def killed(conn: Connection[Any], position: int) -> None:
                raise CrashError("killed after the acks, before the position record")

            monkeypatch.setattr(second, "_record", killed)
            with pytest.raises(CrashError):
                await second.step()
            await asyncio.sleep(1.5)  # past the window: JetStream no longer drops repeats

            # Act: the first publisher takes the position up again.
            taken_up = await first.step()
            info = await js.stream_info(subjects.stream)
            received = await ordered_consumer_reads(js, subjects, len(expected))
        follower.close()
        dying.close()

        # Assert: found on the stream, recorded, not sent again.
        assert taken_up == len(expected) - len(recorded) == 6  # an Opened and five calls
        assert (info.state.messages, info.state.last_seq) == (len(expected), len(expected))
        assert_each_event_once_in_order(received, expected, subjects)
        assert await asyncio.to_thread(position_of, services.pool, NAME) == expected[-1].position
