"""Channel messages through a real NATS into a real PostgreSQL: stored once, or dead-lettered."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import msgspec
import pytest
from nats.js import JetStreamContext

from adapters.bootstrap import Services, build, prepare_database
from adapters.channels.consumer import ingest_workers
from adapters.channels.registry import CHANNELS
from adapters.nats.streams import Subjects, connect
from adapters.nats.workers import start_workers_thread
from adapters.projector import wait_for
from adapters.settings import Settings, load_settings
from domain import commands as c
from domain.values import Channel
from projections.appeal_status_queries import AppealFilter, AppealRow, read_appeal, read_appeals
from projections.timeline import read_timeline
from tests.conftest import NatsNames
from tests.integration.ingest_support import (
    drop_streams,
    for_account,
    fresh_account,
    ingest_settings,
    last_dead_letter,
    publish,
    settled,
    streams_ready,
)

pytestmark = pytest.mark.integration

READ_MODELS = ("timeline", "appeal_status")


@pytest.fixture(scope="module")
def settings(nats_names: NatsNames) -> Settings:
    return ingest_settings(nats_names, "channels")


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger with its read models following the log."""
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=10)
    built.start_projections()
    yield built
    built.close()


@pytest.fixture(scope="module")
async def js(nats_server_url: str, subjects: Subjects) -> AsyncIterator[JetStreamContext]:
    """A channel system's connection; the run's streams are dropped at the end."""
    client = await connect(nats_server_url, name="ingest-tests")
    yield client.jetstream()
    await drop_streams(client.jetstream(), subjects)
    await client.close()


@pytest.fixture(scope="module", autouse=True)
async def ingesting(
    services: Services, settings: Settings, subjects: Subjects, nats_server_url: str,
    js: JetStreamContext,
) -> AsyncIterator[None]:
    """Every channel's consumer, as `ledger ingest` runs them."""
    stop = threading.Event()
    workers = ingest_workers(services, settings)
    thread = start_workers_thread(nats_server_url, settings, workers, stop)
    await streams_ready(js, subjects, list(CHANNELS))
    yield
    stop.set()
    await asyncio.to_thread(thread.join, 15)


def head(services: Services) -> int:
    return services.ledger.recorder.max_notification_id() or 0


def example(channel: str, kind: str, account: str) -> dict[str, Any]:
    payload = next(e for e in CHANNELS[channel].examples() if e["kind"] == kind)
    return for_account(payload, account)


def mapped(channel: str, payloads: list[dict[str, Any]]) -> list[c.Command]:
    adapter = CHANNELS[channel]
    return [cmd for p in payloads
            for cmd in adapter.to_commands(adapter.decode(msgspec.json.encode(p)))]


def read_account(services: Services, account: str) -> tuple[set[Any], set[Any]]:
    """(channel, summary) of its interactions and (channel, external id, type, subject) of its
    appeals, as the read models show them once they have caught up."""
    for name in READ_MODELS:
        assert wait_for(services.pool, name, head(services), 10), name
    with services.pool.connection() as conn:
        timeline = read_timeline(conn, account, 100, None)
        appeals = read_appeals(conn, AppealFilter(account_number=account), 50)
    return (
        {(e.channel, e.summary) for e in timeline if e.event_type == "InteractionRecorded"},
        {(a.channel, a.external_id, a.appeal_type, a.subject) for a in appeals},
    )


def read_one_appeal(services: Services, number: str) -> AppealRow | None:
    assert wait_for(services.pool, "appeal_status", head(services), 10)
    with services.pool.connection() as conn:
        return read_appeal(conn, number)


def appeal_number(services: Services, account: str, external_id: str) -> str:
    found = services.ledger.account(account)
    assert found is not None
    number = found.known_reference("appeal", Channel.CHAT, external_id)
    assert number is not None
    return number


async def publish_all(js: JetStreamContext, subjects: Subjects, channel: str,
                      payloads: Sequence[dict[str, Any] | bytes]) -> None:
    seqs = [await publish(js, subjects, channel, p) for p in payloads]
    await settled(js, subjects, channel, seqs[-1])


class TestExamples:
    @pytest.mark.parametrize("channel", [name for name in CHANNELS if name != "chat"])
    async def test_are_stored_and_visible_in_the_read_models(
        self, channel: str, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        account = fresh_account()
        payloads = [for_account(e, account) for e in CHANNELS[channel].examples()]
        commands = mapped(channel, payloads)

        await publish_all(js, subjects, channel, payloads)

        streams = {cmd.account_number for cmd in commands if isinstance(cmd, c.AccountCommand)}
        assert account in streams  # and an unknown caller's own stream, for the phone
        for number in streams:
            interactions, appeals = await asyncio.to_thread(read_account, services, number)
            mine = [cmd for cmd in commands
                    if isinstance(cmd, c.AccountCommand) and cmd.account_number == number]
            assert interactions == {(cmd.channel.value, cmd.summary) for cmd in mine
                                    if isinstance(cmd, c.RecordInteraction)}
            assert appeals == {(cmd.channel.value, cmd.external_id, cmd.type.value,
                                cmd.subject) for cmd in mine if isinstance(cmd, c.RegisterAppeal)}

    async def test_chat_appeal_is_taken_up_and_deferred_by_its_number(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        account = fresh_account()
        opening = [example("chat", kind, account) for kind in ("message", "appeal",
                                                                "out_of_hours")]
        await publish_all(js, subjects, "chat", opening)
        number = appeal_number(services, account, "chat-s-5521-appeal")

        await publish_all(js, subjects, "chat", [
            {**example("chat", kind, account), "appealNumber": number}
            for kind in ("operator_joined", "deferred")
        ])

        interactions, appeals = await asyncio.to_thread(read_account, services, account)
        assert len(interactions) == 1 and len(appeals) == 2
        appeal = await asyncio.to_thread(read_one_appeal, services, number)
        assert appeal is not None
        assert (appeal.status, appeal.assignee) == ("deferred", "Кузнецова Е.А.")


class TestResends:
    async def test_a_resent_message_stores_nothing_new(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        payload = example("phone", "call_ended", fresh_account())
        await publish_all(js, subjects, "phone", [payload])
        before = head(services)

        await publish_all(js, subjects, "phone", [payload])

        assert head(services) == before

    async def test_a_resent_appeal_action_stores_nothing_new(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        account = fresh_account()
        await publish_all(js, subjects, "chat", [example("chat", "appeal", account)])
        joined = {**example("chat", "operator_joined", account),
                  "appealNumber": appeal_number(services, account, "chat-s-5521-appeal")}
        await publish_all(js, subjects, "chat", [joined])
        before = head(services)

        await publish_all(js, subjects, "chat", [joined])

        assert head(services) == before

    async def test_a_burst_of_repeats_is_stored_once(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        account = fresh_account()
        await publish_all(js, subjects, "chat", [example("chat", "appeal", account)])
        deferred = {**example("chat", "deferred", account),
                    "appealNumber": appeal_number(services, account, "chat-s-5521-appeal")}
        before = head(services)

        await publish_all(js, subjects, "chat", [deferred] * 5)

        assert head(services) == before + 1


def call_ended(**changes: Any) -> bytes:
    """A call_ended message for a new account, changed; a None value removes the field."""
    payload = {**example("phone", "call_ended", fresh_account()), **changes}
    return msgspec.json.encode({k: v for k, v in payload.items() if v is not None})


REFUSED = {
    "malformed JSON": (b'{"kind": "call_ended", "messageId": ', "MALFORMED_JSON", None),
    "wrong type": (call_ended(startedAt=1_772_434_872), "VALIDATION", "$.startedAt"),
    "missing field": (call_ended(accountNumber=None), "VALIDATION", "$.accountNumber"),
    "unknown account format": (call_ended(accountNumber="ЛС-77/01"), "VALIDATION",
                               "$.accountNumber"),
    "unknown kind": (call_ended(kind="call_transferred"), "VALIDATION", "$.kind"),
}


class TestDeadLetters:
    @pytest.mark.parametrize(("body", "code", "field"), REFUSED.values(), ids=REFUSED.keys())
    async def test_refused_message_is_dead_lettered_with_its_reason_and_stores_nothing(
        self, body: bytes, code: str, field: str | None, js: JetStreamContext,
        subjects: Subjects, services: Services,
    ) -> None:
        before = head(services)

        seq = await publish(js, subjects, "phone", body)
        await settled(js, subjects, "phone", seq)

        letter = await last_dead_letter(js, subjects, "phone")
        headers = letter.headers or {}
        assert letter.data == body
        assert headers["Ledger-Original-Sequence"] == str(seq)
        assert headers["Ledger-Original-Subject"] == subjects.ingest("phone")
        assert headers["Ledger-Error-Code"] == code
        assert headers.get("Ledger-Error-Field") == field
        assert field is None or f"`{field}`" in headers["Ledger-Error"] \
            or f"`{field.rsplit('.', 1)[1]}`" in headers["Ledger-Error"]
        assert head(services) == before

    async def test_an_action_on_an_unknown_appeal_is_dead_lettered(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        body = {**example("chat", "deferred", fresh_account()), "appealNumber": "1999-999999"}
        before = head(services)

        seq = await publish(js, subjects, "chat", body)
        await settled(js, subjects, "chat", seq)

        letter = await last_dead_letter(js, subjects, "chat")
        assert (letter.headers or {})["Ledger-Error-Code"] == "NOT_FOUND"
        assert "1999-999999" in (letter.headers or {})["Ledger-Error"]
        assert head(services) == before

    async def test_messages_after_a_dead_letter_are_stored(
        self, js: JetStreamContext, subjects: Subjects, services: Services
    ) -> None:
        account = fresh_account()
        good = example("phone", "call_ended", account)

        await publish_all(js, subjects, "phone", [REFUSED["missing field"][0], good])

        interactions, _ = await asyncio.to_thread(read_account, services, account)
        assert len(interactions) == 1
