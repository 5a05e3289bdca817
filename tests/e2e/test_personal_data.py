"""Personal data over GraphQL: masked without a purpose, and every read audited once, first."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import websockets

from api.auth import Role
from tests.e2e.conftest import APPEAL, LedgerClient, account_number
from tests.e2e.pd_support import accesses, post, read_appeal, timeline

pytestmark = pytest.mark.e2e

CONTACT = {"name": "Сидоров Пётр", "phone": "+79005550011", "email": "s@example.org",
           "postalAddress": "Тверь, ул. Ленина, 3"}


def registered(ledger: LedgerClient) -> dict[str, str]:
    """A new appeal with every kind of personal data; its number and account."""
    account = account_number()
    appeal = ledger.register(account, contact=CONTACT, subject="Счёт Сидорова",
                             text="Прошу пересчитать, Сидоров П.")
    return {"number": appeal["number"], "account": account}


class TestPurposeMasking:
    def test_without_a_purpose_personal_fields_read_masked(self, ledger: LedgerClient) -> None:
        appeal = registered(ledger)

        shown, _ = read_appeal(ledger, appeal["number"], purpose=None)

        assert (shown["subject"], shown["text"]) == ("***", "***")
        assert shown["contact"] == dict.fromkeys(CONTACT, "***")
        assert shown["number"] == appeal["number"] and shown["status"] == "REGISTERED"

    def test_with_a_purpose_personal_fields_are_shown(self, ledger: LedgerClient) -> None:
        appeal = registered(ledger)

        shown, _ = read_appeal(ledger, appeal["number"], purpose=f"appeal:{appeal['number']}")

        assert shown["subject"] == "Счёт Сидорова"
        assert shown["contact"] == CONTACT

    def test_a_role_without_the_right_reads_masked_even_with_a_purpose(
        self, ledger: LedgerClient
    ) -> None:
        appeal = registered(ledger)

        shown, _ = read_appeal(ledger, appeal["number"], purpose="audit:masking", role=Role.AUDITOR)

        assert shown["text"] == "***" and shown["contact"]["phone"] == "***"

    def test_timeline_masks_personal_summaries_and_details_only(
        self, ledger: LedgerClient
    ) -> None:
        appeal = registered(ledger)

        entries = {e["eventType"]: e for e in timeline(ledger, appeal["account"], None)}

        registration = entries["AppealRegistered"]
        assert registration["summary"] == "***"
        assert registration["details"]["text"] == "***"
        assert registration["details"]["contact"] == "***"
        assert registration["details"]["channel"] == "email"
        assert entries["Opened"]["summary"] == "Лицевой счёт открыт в журнале"

    def test_a_masked_read_stores_no_access_record(self, ledger: LedgerClient) -> None:
        appeal = registered(ledger)
        head = ledger.head()

        _, request_id = read_appeal(ledger, appeal["number"], purpose=None)

        assert ledger.head() == head
        assert [a for a in accesses(ledger, accountNumber=appeal["account"])
                if a["requestId"] == request_id] == []


class TestAccessAudit:
    def test_a_read_leaves_exactly_one_record_with_its_purpose(
        self, ledger: LedgerClient
    ) -> None:
        appeal = registered(ledger)
        purpose = f"appeal:{appeal['number']}"

        _, request_id = read_appeal(ledger, appeal["number"], purpose)

        records = [a for a in accesses(ledger, accountNumber=appeal["account"])
                   if a["requestId"] == request_id]
        assert len(records) == 1
        record = records[0]
        assert (record["purpose"], record["actor"], record["role"], record["api"]) == (
            purpose, "e2e-operator", "operator", "graphql")
        assert record["fields"] == ["Appeal.subject", "Appeal.text", "Contact.email",
                                    "Contact.name", "Contact.phone", "Contact.postalAddress"]

    def test_the_filter_finds_accesses_by_actor_purpose_and_period(
        self, ledger: LedgerClient
    ) -> None:
        appeal = registered(ledger)
        purpose = f"complaint-review:{appeal['number']}"

        read_appeal(ledger, appeal["number"], purpose, role=Role.SUPERVISOR)

        found = accesses(ledger, actor="e2e-supervisor", purpose=purpose)
        assert [a["accountNumber"] for a in found] == [appeal["account"]]
        at = found[0]["at"]
        assert accesses(ledger, purpose=purpose, **{"from": at, "to": at}) == []  # exclusive
        assert len(accesses(ledger, purpose=purpose, **{"from": at})) == 1

    def test_one_record_per_account_read(self, ledger: LedgerClient) -> None:
        first, second = registered(ledger), registered(ledger)
        query = ("query($a: String!, $b: String!) { a: appeal(number: $a) { subject } "
                 "b: appeal(number: $b) { text } }")

        _, request_id = post(ledger, query, {"a": first["number"], "b": second["number"]},
                             purpose="audit:supervision")

        records = {a["accountNumber"]: a["fields"] for a in accesses(ledger)
                   if a["requestId"] == request_id}
        assert records == {first["account"]: ["Appeal.subject"],
                           second["account"]: ["Appeal.text"]}

    def test_the_auditor_alone_lists_accesses(self, ledger: LedgerClient) -> None:
        answer = ledger.gql("{ personalDataAccess(filter: {}) { edges { cursor } } }")

        assert answer.code == "FORBIDDEN"


@pytest.fixture
def audit_refused(e2e_database_url: str) -> Iterator[None]:
    """The database refuses to store access records (any event of an audit stream)."""
    with psycopg.connect(e2e_database_url, autocommit=True) as conn:
        conn.execute(
            "CREATE OR REPLACE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF NEW.topic LIKE 'domain.access_audit:%' THEN"
            " RAISE EXCEPTION 'audit store down (test)'; END IF; RETURN NEW; END $$")
        conn.execute("CREATE TRIGGER refuse_audit BEFORE INSERT ON ledger_events"
                     " FOR EACH ROW EXECUTE FUNCTION refuse_audit()")
        try:
            yield
        finally:
            conn.execute("DROP TRIGGER refuse_audit ON ledger_events")


REGISTER = """mutation($input: RegisterAppealInput!) {
  registerAppeal(input: $input) { appeal { number contact { phone } } } }"""


def register_unread(ledger: LedgerClient) -> str:
    """Register an appeal without a purpose: nothing personal is shown, nothing audited."""
    values = {"accountNumber": account_number(), "channel": "EMAIL", "type": "STATEMENT",
              "receivedAt": "2026-03-02T10:00:00+03:00", "subject": "Счёт",
              "text": "Прошу пересчитать.", "contact": CONTACT}
    answer, _ = post(ledger, REGISTER, {"input": values}, purpose=None)
    number: str = answer.data["registerAppeal"]["appeal"]["number"]
    return number


class TestAuditFailure:
    def test_no_record_means_no_personal_data(
        self, ledger: LedgerClient, audit_refused: None
    ) -> None:
        number = register_unread(ledger)

        answer, _ = post(ledger, APPEAL, {"number": number}, purpose=f"appeal:{number}")

        assert answer.body["data"] is None
        assert answer.code == "AUDIT_FAILED"
        assert "Сидоров" not in str(answer.body)

    def test_masked_reads_still_work_while_audit_is_down(
        self, ledger: LedgerClient, audit_refused: None
    ) -> None:
        number = register_unread(ledger)

        answer, _ = post(ledger, APPEAL, {"number": number}, purpose=None)

        assert answer.data["appeal"]["contact"]["phone"] == "***"


TIMELINE_LIVE = ("subscription($a: String!) { timelineAppended(accountNumber: $a) {"
                 " eventType summary } }")


async def first_entry(ledger: LedgerClient, account: str, purpose: str | None) -> Any:
    """Subscribe to the account's timeline, record a call, return the entry pushed."""
    url = ledger.base_url.replace("http://", "ws://") + "/graphql"
    init = {"authorization": f"Bearer {ledger.token(Role.OPERATOR)}"} | (
        {"purpose": purpose} if purpose else {})
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init", "payload": init}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": TIMELINE_LIVE, "variables": {"a": account}}}))
        await asyncio.sleep(0.3)
        await asyncio.to_thread(ledger.record, {
            "accountNumber": account, "channel": "CHAT", "direction": "INBOUND",
            "occurredAt": "2026-03-02T10:00:00+03:00", "summary": "Сидоров спросил"})
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
            entry = message["payload"]["data"]["timelineAppended"]
            if entry["eventType"] == "InteractionRecorded":
                return entry


class TestSubscriptions:
    async def test_a_subscription_declares_its_purpose_at_connection(
        self, ledger: LedgerClient
    ) -> None:
        account = account_number()

        shown = await first_entry(ledger, account, f"account:{account}")
        masked = await first_entry(ledger, account, None)

        assert (shown["summary"], masked["summary"]) == ("Сидоров спросил", "***")
        purposes = [a["purpose"] for a in accesses(ledger, accountNumber=account)]
        assert f"account:{account}" in purposes
