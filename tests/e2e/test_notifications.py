"""Notifications as a client of the running service sees them: GraphQL, the webhook, the mail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import MOSCOW, LedgerClient, account_number
from tests.e2e.notify_server import (
    mailbox,
    notify_env,
    provider,
    receipt,
    server,
)
from tests.e2e.sla_server import eventually
from tests.integration.notify_support import Mailbox, SmsProvider

pytestmark = pytest.mark.e2e
__all__ = ["mailbox", "notify_env", "provider", "server"]  # the fixtures this module runs on

CONTACT = """mutation($input: ContactPointInput!) {
  recordContactPoint(input: $input) { position duplicate } }"""
CONSENT = """mutation($input: ConsentInput!) {
  recordConsent(input: $input) { position channel given duplicate } }"""
NOTIFICATIONS = """query($number: String!, $filter: NotificationFilter) {
  account(number: $number) { notifications(filter: $filter, first: 10) { edges { node {
    id kind channel status recipient subject text reason rule trigger interactionId
    history { status detail } } } } } }"""
CREATE = """mutation($input: CampaignInput!) {
  createCampaign(input: $input) { position campaign { id status recipients } } }"""
CAMPAIGN = """query($id: ID!) { campaign(id: $id) { id status progress {
  recipients requested skipped waiting sent delivered failed notSent transferredToOperator done }
  results(first: 10) { edges { node { accountNumber status channel } } }
  skipped { accountNumber reason } } }"""
RESULTS = """query($id: ID!) { campaign(id: $id) { results(first: 10) { edges { node {
  accountNumber status reason } } } } }"""
REQUEST = """mutation($input: NotificationRequestInput!) {
  requestNotification(input: $input) { position duplicate notification { id status } } }"""
START = "mutation($id: ID!) { startCampaign(id: $id) { position campaign { status } } }"
CANCEL = "mutation($id: ID!) { cancelCampaign(id: $id) { position campaign { status } } }"


def reachable(client: LedgerClient, account: str, kind: str, value: str, channel: str) -> None:
    """The client gave an address voluntarily and agreed to the channel."""
    assert client.gql(CONTACT, {"input": {"accountNumber": account, "kind": kind,
                                          "value": value, "source": "CLIENT"}}).data
    assert client.gql(CONSENT, {"input": {"accountNumber": account, "channel": channel,
                                          "given": True}}).data


def call(client: LedgerClient, account: str) -> None:
    assert client.record({"accountNumber": account, "channel": "PHONE", "direction": "INBOUND",
                          "occurredAt": datetime.now(MOSCOW).isoformat(), "summary": "Звонок",
                          "externalId": f"call-{account}"}).data


def notifications(client: LedgerClient, account: str, masked: bool = False,
                  **flt: Any) -> list[dict[str, Any]]:
    """The account's notifications (with a declared purpose unless `masked`)."""
    variables = {"number": account, "filter": flt or None}
    if masked:
        answer = client.gql(NOTIFICATIONS, variables, Role.OPERATOR, purpose=None)
    else:
        answer = client.gql(NOTIFICATIONS, variables)
    found = answer.data["account"]
    return [] if found is None else [e["node"] for e in found["notifications"]["edges"]]


def settled(client: LedgerClient, account: str, status: str = "SENT") -> dict[str, Any]:
    rows = eventually(lambda: notifications(client, account),
                      lambda found: bool(found) and found[0]["status"] == status)
    return rows[0]


class TestSurvey:
    def test_a_call_brings_the_survey_by_email_with_the_required_subject(
        self, server: LedgerClient, mailbox: Mailbox
    ) -> None:
        account = account_number()
        reachable(server, account, "EMAIL", "klient@example.ru", "EMAIL")

        call(server, account)

        settled(server, account)
        mail = eventually(lambda: [m for m in mailbox.received if account in str(m["Subject"])],
                          bool)[0]
        day = datetime.now(MOSCOW).strftime("%d.%m.%Y")
        assert mail["Subject"] == (
            f"Оценка качества обслуживания: обращение call-{account}, ЛС {account}, {day}")
        (node,) = notifications(server, account)
        assert (node["kind"], node["channel"], node["rule"]) == ("SURVEY", "EMAIL", "survey.send")
        assert node["subject"] == mail["Subject"]
        assert [s["status"] for s in node["history"]] == ["REQUESTED", "SENT"]

    def test_its_texts_are_masked_without_a_declared_purpose(self, server: LedgerClient) -> None:
        account = account_number()
        reachable(server, account, "EMAIL", "klient@example.ru", "EMAIL")
        call(server, account)

        settled(server, account)

        (node,) = notifications(server, account, masked=True)
        assert (node["recipient"], node["subject"], node["text"]) == ("***", "***", "***")

    def test_without_consent_it_is_recorded_not_sent_and_no_mail_goes(
        self, server: LedgerClient, mailbox: Mailbox
    ) -> None:
        account = account_number()
        assert server.gql(CONTACT, {"input": {
            "accountNumber": account, "kind": "EMAIL", "value": "nokonsent@example.ru",
            "source": "CLIENT"}}).data

        call(server, account)

        node = settled(server, account, "NOT_SENT")
        assert node["channel"] is None
        assert node["reason"] == "email: no consent for this channel"
        assert not [m for m in mailbox.received if account in str(m["Subject"])]

    def test_the_filter_picks_by_channel_and_status(self, server: LedgerClient) -> None:
        account = account_number()
        reachable(server, account, "EMAIL", "klient@example.ru", "EMAIL")
        call(server, account)
        settled(server, account)

        sent = notifications(server, account, channel="EMAIL", status="SENT", kind="SURVEY")
        failed = notifications(server, account, status="FAILED")

        assert (len(sent), failed) == (1, [])


class TestReceipts:
    def test_a_delivery_receipt_joins_the_history(self, server: LedgerClient) -> None:
        account = account_number()
        reachable(server, account, "EMAIL", "klient@example.ru", "EMAIL")
        call(server, account)
        node = settled(server, account)

        answer = receipt(server, "email", {"notificationId": node["id"], "status": "delivered",
                                           "at": datetime.now(MOSCOW).isoformat()})
        again = receipt(server, "email", {"notificationId": node["id"], "status": "delivered",
                                          "at": datetime.now(MOSCOW).isoformat()})

        assert (answer.status_code, again.json()["duplicate"]) == (200, True)
        node = settled(server, account, "DELIVERED")
        assert [s["status"] for s in node["history"]] == ["REQUESTED", "SENT", "DELIVERED"]

    @pytest.mark.parametrize(
        ("gateway", "body", "status", "field"),
        [("email", {"notificationId": "0d4c1f64-8c39-4f8e-9d52-2f1a0b3c4d5e",
                    "status": "lost", "at": "2026-03-02T10:00:00+03:00"}, 400, "status"),
         ("email", {"status": "delivered", "at": "2026-03-02T10:00:00+03:00"}, 400, "body"),
         ("fax", {"messageId": "1", "status": "delivered", "at": "2026-03-02T10:00:00+03:00"},
          400, "gateway"),
         ("sms", {"messageId": "nobody-sent-this", "status": "delivered",
                  "at": "2026-03-02T10:00:00+03:00"}, 404, None)],
    )
    def test_bad_input_is_refused_with_the_field_and_nothing_stored(
        self, server: LedgerClient, gateway: str, body: dict[str, Any], status: int,
        field: str | None,
    ) -> None:
        head = server.head()

        answer = receipt(server, gateway, body)

        assert answer.status_code == status
        assert answer.json()["errors"][0]["extensions"].get("field") == field
        assert server.head() == head

    def test_only_an_integration_token_may_post_receipts(self, server: LedgerClient) -> None:
        body = {"messageId": "x", "status": "read", "at": "2026-03-02T10:00:00+03:00"}

        assert receipt(server, "sms", body, role=None).status_code == 401
        assert receipt(server, "sms", body, role=Role.OPERATOR).status_code == 403


class TestRequestedByIntegrations:
    def test_a_verification_reminder_goes_once_and_a_refusal_is_kept_masked(
        self, server: LedgerClient, provider: SmsProvider
    ) -> None:
        account = account_number()
        reachable(server, account, "MOBILE", f"+7911{account[:7]}", "SMS")
        provider.mode = "refuse"
        try:
            first = server.gql(REQUEST, {"input": reminder(account)}, Role.INTEGRATION).data
            again = server.gql(REQUEST, {"input": reminder(account)}, Role.INTEGRATION).data
            node = settled(server, account, "FAILED")
        finally:
            provider.mode = "ok"

        assert (first["requestNotification"]["duplicate"],
                again["requestNotification"]["duplicate"]) == (False, True)
        assert node["kind"] == "VERIFICATION_REMINDER" and "400" in node["reason"]
        (masked,) = notifications(server, account, masked=True)
        assert (masked["reason"], masked["history"][-1]["detail"]) == ("***", "***")

    def test_a_kind_the_ledger_decides_itself_is_refused(self, server: LedgerClient) -> None:
        given = reminder(account_number()) | {"kind": "SURVEY"}

        answer = server.gql(REQUEST, {"input": given}, Role.INTEGRATION)

        assert (answer.code, answer.error["extensions"]["field"]) == ("VALIDATION", "input.kind")

    def test_an_empty_reference_is_named_as_the_client_sent_it(
        self, server: LedgerClient
    ) -> None:
        answer = server.gql(REQUEST, {"input": reminder(account_number()) | {"reference": ""}},
                            Role.INTEGRATION)

        assert (answer.code, answer.error["extensions"]["field"]) == (
            "VALIDATION", "input.reference")
        assert answer.error["message"].startswith("input.reference:")


def reminder(account: str) -> dict[str, Any]:
    return {"accountNumber": account, "kind": "VERIFICATION_REMINDER", "reference": "M-7/2026",
            "values": {"meterNumber": "M-7", "dueDate": "01.04.2026"}}


class TestCampaign:
    def test_it_reaches_the_list_within_its_window_and_reports(
        self, server: LedgerClient, provider: SmsProvider
    ) -> None:
        accounts = [account_number() for _ in range(2)]
        for number in accounts:
            reachable(server, number, "MOBILE", f"+7900{number[:7]}", "SMS")
        unknown = account_number()

        created = server.gql(CREATE, {"input": campaign([*accounts, unknown])},
                             Role.SUPERVISOR).data["createCampaign"]["campaign"]
        started = server.gql(START, {"id": created["id"]}, Role.SUPERVISOR).data

        report = eventually(lambda: server.gql(CAMPAIGN, {"id": created["id"]}).data["campaign"],
                            lambda c: c["progress"]["sent"] == 2)
        assert (created["status"], started["startCampaign"]["campaign"]["status"]) == (
            "CREATED", "RUNNING")
        assert report["progress"] | {"done": 1.0} == {
            "recipients": 3, "requested": 2, "skipped": 1, "waiting": 0, "sent": 2,
            "delivered": 0, "failed": 0, "notSent": 0, "transferredToOperator": 0, "done": 1.0}
        assert report["skipped"] == [{"accountNumber": unknown,
                                      "reason": f"account {unknown} not found"}]
        assert sorted(r["to"] for r in provider.received if r["to"] in {
            f"+7900{a[:7]}" for a in accounts}) == sorted(f"+7900{a[:7]}" for a in accounts)

    def test_a_gateways_refusal_in_the_results_is_masked_without_a_purpose(
        self, server: LedgerClient, provider: SmsProvider
    ) -> None:
        account = account_number()
        reachable(server, account, "MOBILE", f"+7902{account[:7]}", "SMS")
        provider.mode = "refuse"
        try:
            created = server.gql(CREATE, {"input": campaign([account])},
                                 Role.SUPERVISOR).data["createCampaign"]["campaign"]
            server.gql(START, {"id": created["id"]}, Role.SUPERVISOR)
            shown = eventually(lambda: server.gql(RESULTS, {"id": created["id"]}).data,
                               lambda d: d["campaign"]["results"]["edges"][0]["node"][
                                   "status"] == "FAILED" if d["campaign"]["results"][
                                   "edges"] else False)
        finally:
            provider.mode = "ok"

        masked = server.gql(RESULTS, {"id": created["id"]}, Role.OPERATOR, purpose=None).data
        assert "400" in shown["campaign"]["results"]["edges"][0]["node"]["reason"]
        assert masked["campaign"]["results"]["edges"][0]["node"]["reason"] == "***"

    def test_cancel_stops_it(self, server: LedgerClient) -> None:
        later = datetime.now(MOSCOW) + timedelta(days=1)
        created = server.gql(CREATE, {"input": campaign([account_number()], later)},
                             Role.SUPERVISOR).data["createCampaign"]["campaign"]

        cancelled = server.gql(CANCEL, {"id": created["id"]}, Role.SUPERVISOR).data

        assert cancelled["cancelCampaign"]["campaign"]["status"] == "CANCELLED"
        assert server.gql(START, {"id": created["id"]}, Role.SUPERVISOR).code == (
            "INVALID_TRANSITION")

    @pytest.mark.parametrize(
        ("change", "field"),
        [({"template": "no_such_template"}, "input.template"),
         ({"recipients": []}, "input.recipients"),
         ({"windowStart": "2020-01-01T09:00:00+03:00", "windowEnd": "2020-01-01T18:00:00+03:00"},
          "input.windowEnd"),
         ({"recipients": [{"accountNumber": "1234567890", "values": {"name": "Иван"}}]},
          "input.recipients[0].values.debt")],
    )
    def test_bad_input_is_refused_naming_the_field_and_nothing_stored(
        self, server: LedgerClient, change: dict[str, Any], field: str
    ) -> None:
        head = server.head()

        answer = server.gql(CREATE, {"input": campaign([account_number()]) | change},
                            Role.SUPERVISOR)

        assert (answer.code, answer.error["extensions"]["field"]) == ("VALIDATION", field)
        assert server.head() == head

    def test_an_operator_may_not_create_one(self, server: LedgerClient) -> None:
        answer = server.gql(CREATE, {"input": campaign([account_number()])}, Role.OPERATOR)

        assert answer.code == "FORBIDDEN"


def campaign(accounts: list[str], start: datetime | None = None) -> dict[str, Any]:
    begins = start or datetime.now(MOSCOW) - timedelta(minutes=1)
    return {"name": "Долги", "template": "debt", "channel": "SMS",
            "windowStart": begins.isoformat(),
            "windowEnd": (begins + timedelta(hours=2)).isoformat(),
            "recipients": [{"accountNumber": a, "values": {"name": "Клиент", "debt": "250"}}
                           for a in accounts]}
