"""`ledger verify --nats` reads the last checkpoint published on JetStream; with no server to
read it from, it says so instead of retrying for ever."""

from __future__ import annotations

import asyncio

import pytest

from adapters.embedded import free_port
from adapters.nats.checkpoints import NatsUnreachableError, published_anchor
from adapters.nats.streams import Subjects

pytestmark = pytest.mark.integration


def test_an_unreachable_server_is_an_error_naming_it() -> None:
    url = f"nats://127.0.0.1:{free_port()}"  # nothing listens there

    async def read() -> None:
        await asyncio.wait_for(published_anchor(url, Subjects()), timeout=30)

    with pytest.raises(NatsUnreachableError) as refused:
        asyncio.run(read())  # a TimeoutError instead: it was still retrying

    assert str(refused.value).startswith(f"no NATS server answered at {url}")
