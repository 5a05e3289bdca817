"""Declared purposes over the real server: a malformed X-Purpose refuses the operation, and an
`appeal:N` or `account:N` purpose shows the personal data of that one account only."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from api.auth import Role
from tests.e2e.conftest import APPEAL, LedgerClient, account_number, appeal_number
from tests.e2e.pd_support import accesses, post

pytestmark = pytest.mark.e2e

TWO_APPEALS = ("query($a: String!, $b: String!) { a: appeal(number: $a) { subject contact "
               "{ phone } } b: appeal(number: $b) { subject contact { phone } } }")
SUBJECT = "Счёт Орловой"


def two_accounts(ledger: LedgerClient) -> tuple[dict[str, str], dict[str, str]]:
    """Two appeals of two accounts, with personal data: (number, account) of each."""
    found = []
    for _ in range(2):
        account = account_number()
        found.append({"number": ledger.register(account, subject=SUBJECT)["number"],
                      "account": account})
    return found[0], found[1]


def read_both(
    ledger: LedgerClient, first: dict[str, str], second: dict[str, str], purpose: str
) -> tuple[dict[str, dict[str, object]], str]:
    answer, request_id = post(ledger, TWO_APPEALS, {"a": first["number"],
                                                    "b": second["number"]}, purpose=purpose)
    return answer.data, request_id


def recorded(ledger: LedgerClient, request_id: str) -> dict[str, str]:
    """Account -> purpose of each access recorded for a request."""
    return {a["accountNumber"]: a["purpose"] for a in accesses(ledger)
            if a["requestId"] == request_id}


class TestMalformedPurpose:
    @pytest.mark.parametrize("purpose", ["e2e:checks", "appeal:check", "just looking"])
    def test_the_operation_is_refused_naming_the_header_and_nothing_is_read(
        self, ledger: LedgerClient, purpose: str
    ) -> None:
        first, _ = two_accounts(ledger)
        head = ledger.head()

        answer, _ = post(ledger, APPEAL, {"number": first["number"]}, purpose=purpose)

        assert answer.status == 200 and answer.body["data"] is None
        assert (answer.code, answer.error["extensions"]["field"]) == ("VALIDATION", "X-Purpose")
        assert "declare one of" in answer.error["message"] or "needs the form" in \
            answer.error["message"]
        assert ledger.head() == head  # no access recorded

    def test_a_mutation_with_a_malformed_purpose_stores_nothing(
        self, ledger: LedgerClient
    ) -> None:
        head = ledger.head()
        values = {"accountNumber": account_number(), "channel": "OFFICE",
                  "direction": "INBOUND", "occurredAt": "2026-03-02T10:00:00+03:00",
                  "summary": "Пришла в офис"}

        answer = ledger.gql(
            "mutation($input: RecordInteractionInput!) { recordInteraction(input: $input)"
            " { position } }", {"input": values}, purpose="visit")

        assert answer.code == "VALIDATION" and ledger.head() == head

    def test_the_printable_report_refuses_it_with_400(self, ledger: LedgerClient) -> None:
        path = f"/reports/subject/{account_number()}?purpose=because"
        refused = ledger.http.get(path, headers={
            "Authorization": f"Bearer {ledger.token(Role.AUDITOR)}"})

        assert refused.status_code == 400 and "unknown purpose" in refused.text

    async def test_a_subscription_with_a_malformed_purpose_is_rejected(
        self, ledger: LedgerClient
    ) -> None:
        url = ledger.base_url.replace("http://", "ws://") + "/graphql"
        init = {"authorization": f"Bearer {ledger.token(Role.OPERATOR)}", "purpose": "chat"}

        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": init}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)

        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


class TestConfinedPurpose:
    def test_an_appeal_purpose_shows_only_the_account_of_that_appeal(
        self, ledger: LedgerClient
    ) -> None:
        first, second = two_accounts(ledger)

        data, request_id = read_both(ledger, first, second, f"appeal:{first['number']}")

        assert data["a"] == {"subject": SUBJECT, "contact": {"phone": "+79001234567"}}
        assert data["b"] == {"subject": "***", "contact": {"phone": "***"}}
        assert recorded(ledger, request_id) == {first["account"]: f"appeal:{first['number']}"}

    def test_an_account_purpose_shows_only_that_account(self, ledger: LedgerClient) -> None:
        first, second = two_accounts(ledger)

        data, request_id = read_both(ledger, first, second, f"account:{second['account']}")

        assert (data["a"]["subject"], data["b"]["subject"]) == ("***", SUBJECT)
        assert recorded(ledger, request_id) == {second["account"]: f"account:{second['account']}"}

    def test_an_unknown_appeal_shows_nothing_and_records_nothing(
        self, ledger: LedgerClient
    ) -> None:
        first, second = two_accounts(ledger)

        data, request_id = read_both(ledger, first, second, f"appeal:{appeal_number()}")

        assert (data["a"]["subject"], data["b"]["subject"]) == ("***", "***")
        assert recorded(ledger, request_id) == {}

    def test_an_audit_purpose_shows_both_and_the_audit_holds_it_as_parsed(
        self, ledger: LedgerClient
    ) -> None:
        first, second = two_accounts(ledger)

        data, request_id = read_both(ledger, first, second, "Audit:case-7")

        assert (data["a"]["subject"], data["b"]["subject"]) == (SUBJECT, SUBJECT)
        assert recorded(ledger, request_id) == {first["account"]: "audit:case-7",
                                                second["account"]: "audit:case-7"}
