"""Fixtures the integration modules share; a module defining one of the same name uses its own.

`subjects` follows the module's own `settings` (each module names its NATS streams)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.bootstrap import Services, build, prepare_database
from adapters.nats.streams import Subjects
from adapters.settings import Settings, load_settings
from tests.integration.notify_support import SmsProvider, sms_provider


@pytest.fixture(scope="module")
def subjects(settings: Settings) -> Subjects:
    """The NATS names of the module's `settings`."""
    return Subjects.of(settings)


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger on the run's database, without read models running."""
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=5)
    yield built
    built.close()


@pytest.fixture
def provider() -> Iterator[SmsProvider]:
    """A fake SMS gateway over HTTP, as the notification tests send to."""
    with sms_provider() as found:
        yield found
