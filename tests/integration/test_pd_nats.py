"""NATS after an erasure: events published once the key is gone carry no personal data."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest

from adapters.bootstrap import Services
from adapters.nats.streams import Subjects
from tests.conftest import NatsNames
from tests.integration.pd_support import SECRET, erase_now, history, ledger_services, new_account
from tests.integration.test_publisher import (
    jetstream,
    ordered_consumer_reads,
    publish_from_head,
    publisher_running,
    settings_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger on this run's database."""
    with ledger_services(database_url) as built:
        yield built


async def test_events_published_after_an_erasure_carry_no_personal_data(
    services: Services, nats_server_url: str, nats_names: NatsNames
) -> None:
    settings = settings_for(nats_names, "erasure")
    publish_from_head(services)
    account = new_account()
    history(services, account)
    erase_now(services, account)

    async with jetstream(nats_server_url, settings) as js:
        with publisher_running(services, nats_server_url, settings):
            received = await ordered_consumer_reads(js, Subjects.of(settings), 5)

    bodies = [msgspec.json.decode(m.data) for m in received]
    assert [b["type"] for b in bodies] == [
        "Opened", "AppealRegistered", "AppealAnswered", "InteractionRecorded",
        "PersonalDataErased"]
    assert SECRET not in str(bodies)
    registered = bodies[1]["payload"]
    assert (registered["text"], registered["contact"]["name"]) == ("[erased]", "[erased]")
