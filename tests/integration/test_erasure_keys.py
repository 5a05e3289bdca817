"""Erasure through the group committer leaves the account without a live data key: nothing the
committer does ahead of a batch (fetching or making keys) brings one back."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Services
from domain.identity import account_stream_id
from tests.integration.pd_support import erase_now, history, ledger_services, new_account

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    with ledger_services(database_url) as built:
        yield built


def live_keys(services: Services, account: str) -> list[int]:
    with services.pool.connection() as conn:
        rows = conn.execute("SELECT generation FROM pd_keys WHERE account_id = %s"
                            " AND key IS NOT NULL", (account_stream_id(account),)).fetchall()
    return [row[0] for row in rows]


class TestErasedKeys:
    def test_no_live_key_is_left_or_made_after_an_erasure(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        assert live_keys(services, account) == [1]
        time.sleep(1.1)  # past the committer's memory of having fetched this account's key

        erase_now(services, account)
        time.sleep(0.3)  # what the key prefetcher would do meanwhile, it has done

        assert live_keys(services, account) == []

    def test_a_new_contact_after_the_erasure_starts_the_next_generation(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        erase_now(services, account)

        history(services, account)

        assert live_keys(services, account) == [2]
