"""Input no client should send but some will: each is refused with a message and a field, and
nothing is stored or broken by it (found by probing the running service)."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import MOSCOW, LedgerClient, account_number

pytestmark = pytest.mark.e2e

NOW = datetime.now(MOSCOW).isoformat()
CURSOR = """query($n: String!, $after: String) { account(number: $n) {
  timeline(first: 5, after: $after) { edges { node { eventType } } } } }"""
AS_OF = """query($n: String!, $at: DateTime) {
  account(number: $n) { asOf(at: $at) { version } } }"""


def contact(account: str, summary: str) -> dict[str, Any]:
    return {"accountNumber": account, "channel": "PHONE", "direction": "INBOUND",
            "occurredAt": NOW, "summary": summary}


class TestNulCharacters:
    def test_a_nul_in_a_mutation_is_refused_and_the_read_models_go_on(
        self, ledger: LedgerClient
    ) -> None:
        account, head = account_number(), ledger.head()

        refused = ledger.record(contact(account, "a\x00b"))
        later = ledger.record(contact(account, "Звонок"))  # waits for the timeline to show it

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"]["field"] == "input.summary"
        assert "must not contain a NUL character" in refused.error["message"]
        assert later.data["recordInteraction"]["position"] > head
        assert [e["eventType"] for e in ledger.timeline(account)] == [
            "InteractionRecorded", "Opened"]

    def test_a_nul_in_a_query_argument_is_refused_not_internal(
        self, ledger: LedgerClient
    ) -> None:
        answer = ledger.gql('{ appeals(first: 5, filter: {assignee: "a\\u0000b"}) { edges {'
                            " node { number } } } }")

        assert answer.code == "VALIDATION"
        assert "NUL" in answer.error["message"]

    def test_a_nul_in_a_receipt_is_a_400(self, ledger: LedgerClient) -> None:
        body = {"messageId": "m\x00", "status": "delivered", "at": NOW}

        response = ledger.http.post("/webhooks/notifications/email", json=body, headers={
            "Authorization": f"Bearer {ledger.token(Role.INTEGRATION)}"})

        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION"


class TestArguments:
    def test_a_cursor_of_a_non_ascii_digit_is_not_a_cursor(self, ledger: LedgerClient) -> None:
        account = account_number()
        ledger.record(contact(account, "Звонок")).data  # noqa: B018 - the account exists
        after = base64.b64encode("²".encode()).decode()

        answer = ledger.gql(CURSOR, {"n": account, "after": after})

        assert answer.code == "VALIDATION"
        assert answer.error["message"] == "after is not a cursor from this API"

    def test_as_of_a_time_without_an_offset_is_refused(self, ledger: LedgerClient) -> None:
        account = account_number()
        ledger.record(contact(account, "Звонок")).data  # noqa: B018

        answer = ledger.gql(AS_OF, {"n": account, "at": "2030-01-01T00:00:00"}, Role.AUDITOR)

        assert answer.code == "VALIDATION"
        assert answer.error["extensions"]["field"] == "at"

    def test_a_negative_page_size_does_not_lower_a_document_s_cost(
        self, ledger: LedgerClient
    ) -> None:
        costly = ("{ appeals(first: 200) { edges { node { number history { eventType }"
                  " timers { kind } } } } }")
        hidden = costly[:-1] + (f' account(number: "{account_number()}") {{'
                                " timeline(first: -100000) { edges { node { eventType } } } } }")

        answer, alone = ledger.gql(hidden), ledger.gql(costly)

        assert "query too costly" in answer.error["message"]
        assert cost(answer.error["message"]) > cost(alone.error["message"])


def cost(message: str) -> int:
    """The estimate a "query too costly: about N objects" refusal names."""
    return int(message.split("about ", 1)[1].split(" ", 1)[0])


class TestSubjectReportRoute:
    @pytest.mark.parametrize(("number", "status", "code"), [
        ("abc", 400, "VALIDATION"), ("7709999999123", 404, "NOT_FOUND"),
    ])
    def test_a_bad_or_unknown_account_is_said_so(
        self, ledger: LedgerClient, number: str, status: int, code: str
    ) -> None:
        response = ledger.http.get(f"/reports/subject/{number}", headers={
            "Authorization": f"Bearer {ledger.token(Role.AUDITOR)}"})

        assert response.status_code == status
        assert response.json()["errors"][0]["extensions"]["code"] == code
