"""A campaign's recipient list over GraphQL: each recipient's figures are its personal data."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import MOSCOW, LedgerClient, account_number
from tests.e2e.notify_server import mailbox, notify_env, provider, server
from tests.e2e.pd_support import ERASE, accesses, post
from tests.e2e.test_notifications import CREATE, campaign, reachable

pytestmark = pytest.mark.e2e
__all__ = ["mailbox", "notify_env", "provider", "server"]  # the fixtures this module runs on

LIST = """query($id: ID!) { campaign(id: $id) { recipientList(first: 10) { edges { node {
  accountNumber values } } } } }"""
PURPOSE = "audit:campaign-list-check"


def listed(server: LedgerClient, campaign_id: str, purpose: str | None) -> (
        tuple[list[dict[str, Any]], str]):
    """The list's recipients as a reader with the purpose (or none) sees them; the request id."""
    answer, request_id = post(server, LIST, {"id": campaign_id}, purpose=purpose)
    return [e["node"] for e in answer.data["campaign"]["recipientList"]["edges"]], request_id


def recorded(server: LedgerClient, accounts: list[str], request_id: str) -> (
        list[tuple[str, str, list[str]]]):
    """The accesses a request left on the accounts: account, purpose, fields."""
    return sorted((a["accountNumber"], a["purpose"], a["fields"]) for number in accounts
                  for a in accesses(server, accountNumber=number)
                  if a["requestId"] == request_id)


@pytest.fixture
def created(server: LedgerClient) -> tuple[str, list[str]]:
    """A campaign (not yet in its window) to two known accounts; its id and the accounts."""
    accounts = [account_number() for _ in range(2)]
    for number in accounts:
        reachable(server, number, "MOBILE", f"+7900{number[:7]}", "SMS")
    later = datetime.now(MOSCOW) + timedelta(days=1)
    found = server.gql(CREATE, {"input": campaign(accounts, later)}, Role.SUPERVISOR).data
    return found["createCampaign"]["campaign"]["id"], accounts


class TestRecipientList:
    def test_the_figures_are_masked_without_a_purpose_and_nothing_is_recorded(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created

        nodes, request_id = listed(server, campaign_id, None)

        assert [n["accountNumber"] for n in nodes] == accounts
        assert [n["values"] for n in nodes] == [{"name": "***", "debt": "***"}] * 2
        assert recorded(server, accounts, request_id) == []

    def test_with_a_purpose_they_are_shown_and_each_account_is_recorded(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created

        nodes, request_id = listed(server, campaign_id, PURPOSE)

        assert [n["values"] for n in nodes] == [{"name": "Клиент", "debt": "250"}] * 2
        assert recorded(server, accounts, request_id) == [
            (a, PURPOSE, ["CampaignRecipient.values"]) for a in sorted(accounts)]

    def test_an_erased_accounts_figures_read_erased_the_others_do_not(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created

        server.gql(ERASE, {"input": {"accountNumber": accounts[0], "ground": "152-ФЗ ст. 21"}},
                   Role.ADMIN)
        nodes, request_id = listed(server, campaign_id, PURPOSE)

        assert [n["values"] for n in nodes] == [{"debt": "[erased]", "name": "[erased]"},
                                               {"name": "Клиент", "debt": "250"}]
        assert recorded(server, accounts, request_id) == [
            (accounts[1], PURPOSE, ["CampaignRecipient.values"])]


REPORT = """query($number: String!) { subjectReport(accountNumber: $number) {
  held { eventType campaignId fields } } }"""


def campaign_figures(server: LedgerClient, number: str) -> list[tuple[str, Any]]:
    """(campaign id, figures) the subject's report shows of an account, read by an auditor."""
    answer, _ = post(server, REPORT, {"number": number}, Role.AUDITOR, PURPOSE)
    return [(h["campaignId"], h["fields"]) for h in answer.data["subjectReport"]["held"]
            if h["campaignId"] is not None]


class TestSubjectReport:
    def test_it_shows_the_figures_each_campaign_holds_of_the_account(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created

        assert campaign_figures(server, accounts[0]) == [
            (campaign_id, {"name": "Клиент", "debt": "250"})]

    def test_without_a_purpose_they_are_masked_with_one_their_reading_is_recorded(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created

        masked, unread = post(server, REPORT, {"number": accounts[0]}, Role.AUDITOR, None)
        _, read = post(server, REPORT, {"number": accounts[0]}, Role.AUDITOR, PURPOSE)

        assert [h["fields"] for h in masked.data["subjectReport"]["held"]
                if h["campaignId"] == campaign_id] == [{"name": "***", "debt": "***"}]
        assert recorded(server, accounts[:1], unread) == []
        (access,) = recorded(server, accounts[:1], read)
        assert {"HeldData.fields.debt", "HeldData.fields.name"} <= set(access[2])

    def test_after_erasure_they_read_erased(
        self, server: LedgerClient, created: tuple[str, list[str]]
    ) -> None:
        campaign_id, accounts = created
        server.gql(ERASE, {"input": {"accountNumber": accounts[0], "ground": "152-ФЗ ст. 21"}},
                   Role.ADMIN)

        assert campaign_figures(server, accounts[0]) == [(campaign_id, {"values": "[erased]"})]
        assert campaign_figures(server, accounts[1]) == [
            (campaign_id, {"name": "Клиент", "debt": "250"})]
