"""Batches as a consumer meets them after a pause: messages published while no consumer ran
come in one fetch, so what one message does must not decide the fate of the others."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from adapters.bootstrap import Services
from adapters.channels.consumer import ingest_workers
from adapters.channels.dead_letters import ORIGINAL_SIZE, TRUNCATED
from adapters.channels.registry import CHANNELS
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.nats.workers import start_workers_thread
from adapters.settings import Settings
from domain.account import Reference
from domain.values import Channel
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


@pytest.fixture(scope="module")
def settings(nats_names: NatsNames) -> Settings:
    return ingest_settings(nats_names, "batches")


@pytest.fixture(scope="module")
async def client(
    nats_server_url: str, subjects: Subjects, settings: Settings
) -> AsyncIterator[Client]:
    """A channel system's connection; the streams exist before any consumer runs, so messages
    can wait for one."""
    nc = await connect(nats_server_url, name="ingest-batch-tests")
    await ensure_streams(nc.jetstream(), subjects, settings)
    yield nc
    await drop_streams(nc.jetstream(), subjects)
    await nc.close()


@pytest.fixture(scope="module")
def js(client: Client) -> JetStreamContext:
    return client.jetstream()


@asynccontextmanager
async def consuming(
    services: Services, settings: Settings, js: JetStreamContext, url: str, channel: str
) -> AsyncIterator[None]:
    """The channel's consumer, as `ledger ingest <channel>` runs it, resuming where it
    stopped: what was published meanwhile comes in its first fetch."""
    stop = threading.Event()
    thread = start_workers_thread(url, settings, ingest_workers(services, settings, [channel]),
                                  stop)
    try:
        await streams_ready(js, Subjects.of(settings), [channel])
        yield
    finally:
        stop.set()
        await asyncio.to_thread(thread.join, 15)


def example(channel: str, kind: str, **changes: Any) -> dict[str, Any]:
    """The channel's example of `kind` for a new account, changed."""
    payload = next(e for e in CHANNELS[channel].examples() if e["kind"] == kind)
    return {**for_account(payload, fresh_account()), **changes}


def stored(services: Services, account: str, kind: Reference, channel: Channel,
           external_id: str) -> bool:
    """Whether the account's log holds the channel's `external_id` as `kind`."""
    found = services.ledger.account(account)
    return found is not None and found.known_reference(kind, channel, external_id) is not None


async def publish_then_consume(
    services: Services, settings: Settings, js: JetStreamContext, url: str, channel: str,
    bodies: list[dict[str, Any] | bytes],
) -> list[int]:
    """Publish while no consumer runs, then let one settle them all (one batch)."""
    subjects = Subjects.of(settings)
    seqs = [await publish(js, subjects, channel, body) for body in bodies]
    async with consuming(services, settings, js, url, channel):
        await settled(js, subjects, channel, seqs[-1])
    return seqs


class TestPoisonMessages:
    async def test_json_nested_too_deeply_is_dead_lettered_and_the_batch_is_stored(
        self, services: Services, settings: Settings, subjects: Subjects,
        js: JetStreamContext, nats_server_url: str,
    ) -> None:
        """msgspec raises RecursionError, not a DecodeError: it stopped the consumer with the
        batch unacked, and every later message of the channel waited behind it."""
        nested = b'{"kind":"call_ended","messageId":"d","x":' + b"[" * 1000 + b"]" * 1000 + b"}"
        good = example("phone", "call_ended", messageId="after-the-nested-one")

        seqs = await publish_then_consume(services, settings, js, nats_server_url, "phone",
                                          [nested, good])

        letter = await last_dead_letter(js, subjects, "phone")
        headers = letter.headers or {}
        assert headers["Ledger-Original-Sequence"] == str(seqs[0])
        assert headers["Ledger-Error-Code"] in {"MALFORMED_JSON", "VALIDATION"}
        assert "nested too deeply" in headers["Ledger-Error"]
        assert letter.data == nested
        assert stored(services, good["accountNumber"], "interaction", Channel.PHONE,
                      "after-the-nested-one")

    async def test_a_refused_message_near_max_payload_is_dead_lettered_cut(
        self, services: Services, settings: Settings, subjects: Subjects, client: Client,
        js: JetStreamContext, nats_server_url: str,
    ) -> None:
        """The dead letter's headers on top of a body near max_payload made it too large: the
        server closed the connection and the message was never settled."""
        head = b'{"kind":"call_ended","messageId":"too-big","filler":"'
        body = head + b"a" * (client.max_payload - 200 - len(head) - 2) + b'"}'
        good = example("phone", "call_ended", messageId="after-the-big-one")

        seqs = await publish_then_consume(services, settings, js, nats_server_url, "phone",
                                          [body, good])

        letter = await last_dead_letter(js, subjects, "phone")
        headers = letter.headers or {}
        assert headers["Ledger-Original-Sequence"] == str(seqs[0])
        assert headers["Ledger-Error-Code"] == "VALIDATION"
        assert (headers[TRUNCATED], headers[ORIGINAL_SIZE]) == ("true", str(len(body)))
        cut = letter.data or b""
        assert 0 < len(cut) < len(body) and body.startswith(cut)
        assert stored(services, good["accountNumber"], "interaction", Channel.PHONE,
                      "after-the-big-one")

    async def test_a_small_refused_message_keeps_its_whole_body(
        self, services: Services, settings: Settings, subjects: Subjects,
        js: JetStreamContext, nats_server_url: str,
    ) -> None:
        """Cutting is only for what would not fit."""
        body = msgspec.json.encode({**example("phone", "call_ended"), "startedAt": 1})

        await publish_then_consume(services, settings, js, nats_server_url, "phone", [body])

        letter = await last_dead_letter(js, subjects, "phone")
        assert letter.data == body
        assert TRUNCATED not in (letter.headers or {})


class TestRepeatsInOneBatch:
    async def test_one_registration_number_on_two_accounts_is_stored_for_both(
        self, services: Services, settings: Settings, js: JetStreamContext,
        nats_server_url: str,
    ) -> None:
        """The ledger recognises a repeat per account; in one batch the second letter was
        taken for a repeat of the first and acked with nothing stored."""
        letters = [example("mail", "letter_registered", messageId=f"letter-{n}",
                           registrationNumber="VX-77") for n in (1, 2)]

        await publish_then_consume(services, settings, js, nats_server_url, "mail",
                                   list(letters))

        for letter in letters:
            assert stored(services, letter["accountNumber"], "appeal", Channel.MAIL, "VX-77")

    async def test_a_repeat_for_the_same_account_is_stored_once(
        self, services: Services, settings: Settings, js: JetStreamContext,
        nats_server_url: str,
    ) -> None:
        """Still one appeal when the same letter comes twice in one batch."""
        letter = example("mail", "letter_registered", registrationNumber="VX-78")

        await publish_then_consume(services, settings, js, nats_server_url, "mail",
                                   [letter, {**letter, "messageId": "resent"}])

        account = services.ledger.account(letter["accountNumber"])
        assert account is not None
        assert account.known_reference("appeal", Channel.MAIL, "VX-78") is not None
        assert len(account.appeals) == 1
