"""A campaign's list on real PostgreSQL: each recipient's figures sealed under its own account's
key, opened to render its text, and erased with that account alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from uuid import UUID, uuid4

import msgspec
import pytest
from cryptography.exceptions import InvalidTag
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from adapters.bootstrap import Services
from adapters.notify.service import campaign_desk
from adapters.settings import load_settings
from domain.campaign import Campaign
from domain.campaign_commands import CreateCampaign
from domain.campaign_list import ERASED_REASON
from domain.identity import account_stream_id
from domain.notification_values import NotificationChannel as C
from projections.campaign_queries import read_skipped
from tests.integration.notify_support import project, reachable_by
from tests.integration.pd_support import erase_now
from tests.integration.sla_support import events, new_account, services_on, sla_database
from tests.integration.test_notify_campaigns import START, Clock, runner

pytestmark = pytest.mark.integration

FIGURES = [{"name": "Пётр Сидоров", "debt": "1 234,56"},
           {"name": "Анна Кузнецова", "debt": "789,10"}]


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_campaign_pd_{run_id}") as url, services_on(
            url) as built:
        yield built


def clients(services: Services) -> list[str]:
    accounts = [new_account() for _ in FIGURES]
    for account in accounts:
        reachable_by(services, account, C.SMS, mobile=f"+7900{account[:7]}")
    return accounts


def started(services: Services, accounts: list[str]) -> UUID:
    """A debt campaign by SMS, each account with its own figures, started."""
    command = msgspec.convert({
        "name": "Долги", "template": "debt", "channel": "sms", "windowStart": START.isoformat(),
        "windowEnd": (START + timedelta(hours=3)).isoformat(),
        "recipients": [{"accountNumber": a, "values": v} for a, v in zip(
            accounts, FIGURES, strict=True)]}, CreateCampaign)
    desk, campaign_id = campaign_desk(services, load_settings()), uuid4()
    desk.create(command, campaign_id, "supervisor", START - timedelta(days=1))
    desk.start(campaign_id, "supervisor", START - timedelta(days=1))
    project(services)
    return campaign_id


def run(services: Services) -> None:
    scan = runner(services, Clock(START))
    while scan.scan():
        project(services)


def requested_texts(services: Services, account: str) -> list[str]:
    return [e.text for e in events(services, account)
            if type(e).__name__ == "NotificationRequested" and e.trigger.rule == "campaign"]


class TestSealedList:
    def test_the_stored_list_holds_no_figure_in_plain_text(self, services: Services) -> None:
        accounts = clients(services)

        campaign_id = started(services, accounts)

        with services.pool.connection() as conn:
            stored = b"".join(bytes(r[0]) for r in conn.execute(
                "SELECT state FROM ledger_events WHERE originator_id = %s", (campaign_id,)))
        assert accounts[0].encode() in stored
        for figures in FIGURES:
            for value in figures.values():
                assert value.encode() not in stored

    def test_each_recipient_gets_the_text_of_its_own_figures(self, services: Services) -> None:
        accounts = clients(services)
        started(services, accounts)

        run(services)

        for account, figures in zip(accounts, FIGURES, strict=True):
            (text,) = requested_texts(services, account)
            assert f"задолженность {figures['debt']} руб." in text

    def test_an_erased_recipient_is_skipped_and_reads_erased_the_others_do_not(
        self, services: Services
    ) -> None:
        accounts = clients(services)
        campaign_id = started(services, accounts)

        erase_now(services, accounts[0])
        run(services)

        desk = campaign_desk(services, load_settings())
        assert desk.page(campaign_id, 0, 10) == [(accounts[0], None), (accounts[1], FIGURES[1])]
        assert requested_texts(services, accounts[0]) == []
        assert len(requested_texts(services, accounts[1])) == 1
        with services.pool.connection() as conn:
            assert read_skipped(conn, campaign_id, 10) == [(accounts[0], ERASED_REASON)]

    def test_accounts_without_a_key_get_one_made_with_the_list(self, services: Services) -> None:
        accounts = [new_account() for _ in FIGURES]  # no personal data of theirs stored yet

        campaign_id = started(services, accounts)

        desk = campaign_desk(services, load_settings())
        assert desk.page(campaign_id, 0, 10) == list(zip(accounts, FIGURES, strict=True))
        with services.pool.connection() as conn:
            assert conn.execute("SELECT count(*) FROM pd_keys WHERE account_id = ANY(%s)"
                                " AND key IS NOT NULL", ([account_stream_id(a) for a in accounts],)
                                ).fetchone() == (2,)

    def test_a_list_made_after_an_erasure_is_sealed_under_the_next_key(
        self, services: Services
    ) -> None:
        accounts = clients(services)
        before = started(services, accounts)
        erase_now(services, accounts[0])

        after = started(services, accounts)

        desk = campaign_desk(services, load_settings())
        assert desk.page(before, 0, 1) == [(accounts[0], None)]
        assert desk.page(after, 0, 1) == [(accounts[0], FIGURES[0])]

    def test_figures_moved_to_another_recipient_do_not_open(self, services: Services) -> None:
        accounts = clients(services)
        campaign_id = started(services, accounts)
        desk = campaign_desk(services, load_settings())
        first, second = desk.recipients(campaign_id, 0)

        swapped = msgspec.structs.replace(first, sealed=second.sealed)

        with pytest.raises(InvalidTag):
            desk.sealer.open(campaign_id, [swapped])


class TestListedBeforeSealing:
    def test_a_list_stored_with_plain_figures_still_decodes_and_opens(
        self, services: Services
    ) -> None:
        campaign_id, account = uuid4(), new_account()
        old = {"chunk": 0, "timestamp": START.isoformat(), "recipients": [
            {"accountNumber": account, "values": FIGURES[0]}]}
        stored = StoredEvent(campaign_id, 2, get_topic(Campaign.CampaignRecipientsListed),
                             msgspec.json.encode(old))

        event = services.ledger.mapper.to_domain_event(stored)

        assert isinstance(event, Campaign.CampaignRecipientsListed)
        assert event.recipients[0].sealed is None
        sealer = campaign_desk(services, load_settings()).sealer
        assert sealer.open(campaign_id, event.recipients) == [FIGURES[0]]
