"""Every operation with every role and with no token, held against api/auth.py::ACCESS."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from api.auth import ACCESS, Role
from tests.e2e.conftest import LedgerClient, account_number
from tests.e2e.operations import Operation, nested_fields, operations

pytestmark = pytest.mark.e2e

NAMES = [(op.kind, op.name) for op in operations({})]
SUBJECTS = {Role.INTEGRATION: "office"}
"""An integration's token names its channel; the generated inputs use the first, OFFICE."""


@pytest.fixture(scope="module")
def ops(ledger: LedgerClient) -> dict[str, Operation]:
    """Every operation, its arguments naming an account and an appeal of this module."""
    account = account_number()
    appeal = ledger.register(account, "OFFICE")["number"]
    names = {"number": account, "accountNumber": account, "appealNumber": appeal}
    return {op.name: op for op in operations(names)}


def token(ledger: LedgerClient, role: Role) -> str:
    return ledger.keys.issue(role, SUBJECTS.get(role, f"matrix-{role.value}"), 600)


def test_every_operation_is_in_the_access_table() -> None:
    unlisted = [name for _, name in NAMES if name not in ACCESS]

    assert unlisted == [], "add each operation to api/auth.py::ACCESS"


@pytest.mark.parametrize(("kind", "name"), [n for n in NAMES if n[0] != "subscription"])
class TestQueriesAndMutations:
    def test_without_a_token_it_is_401(
        self, ledger: LedgerClient, ops: dict[str, Operation], kind: str, name: str
    ) -> None:
        op = ops[name]

        answer = ledger.gql(op.document, op.variables, token=None)

        assert answer.status == 401 and answer.code == "UNAUTHENTICATED"

    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    def test_each_role_is_allowed_exactly_what_the_table_says(
        self, ledger: LedgerClient, ops: dict[str, Operation], kind: str, name: str, role: Role
    ) -> None:
        op = ops[name]

        answer = ledger.gql(op.document, op.variables, token=token(ledger, role))

        codes = {e.get("extensions", {}).get("code") for e in answer.body.get("errors") or []}
        assert answer.status == 200
        assert ("FORBIDDEN" in codes) == (role not in ACCESS[name]), answer.body


@pytest.mark.parametrize("name", [n for k, n in NAMES if k == "subscription"])
class TestSubscriptions:
    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    async def test_each_role_is_allowed_exactly_what_the_table_says(
        self, ledger: LedgerClient, ops: dict[str, Operation], name: str, role: Role
    ) -> None:
        first = await first_message(ledger, ops[name], token(ledger, role))

        forbidden = first is not None and "FORBIDDEN" in json.dumps(first)
        assert forbidden == (role not in ACCESS[name]), first

    async def test_without_a_token_the_connection_is_refused(
        self, ledger: LedgerClient, ops: dict[str, Operation], name: str
    ) -> None:
        url = ledger.base_url.replace("http://", "ws://") + "/graphql"
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)

        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


async def first_message(ledger: LedgerClient, op: Operation, bearer: str) -> Any:
    """The first message of a subscription within a second (None: it is running, silent)."""
    url = ledger.base_url.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"authorization": f"Bearer {bearer}"}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": op.document, "variables": op.variables}}))
        try:
            return json.loads(await asyncio.wait_for(ws.recv(), 1.0))
        except TimeoutError:
            return None


class TestFieldRights:
    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    def test_as_of_on_an_account_follows_the_table(
        self, ledger: LedgerClient, ops: dict[str, Operation], role: Role
    ) -> None:
        assert "asOf" in nested_fields("Account")
        query = ("query($n: String!) { account(number: $n) { asOf(at: "
                 "\"2100-01-01T00:00:00+00:00\") { version } } }")

        answer = ledger.gql(query, ops["account"].variables | {"n": ops["account"].variables[
            "number"]}, token=token(ledger, role))

        codes = {e["extensions"]["code"] for e in answer.body.get("errors") or []}
        allowed = role in ACCESS["account"] and role in ACCESS["asOf"]
        assert ("FORBIDDEN" in codes) == (not allowed), answer.body

    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    def test_an_account_in_a_mutation_s_answer_follows_the_table(
        self, ledger: LedgerClient, ops: dict[str, Operation], role: Role
    ) -> None:
        """An integration may record a contact, not read the account's timeline and every
        channel's appeals through the answer (it could: only account() checked the right)."""
        query = ("mutation($i: RecordInteractionInput!) { recordInteraction(input: $i) {"
                 " account { number timeline { edges { cursor } } appeals { number } } } }")
        contact = {"accountNumber": ops["account"].variables["number"], "channel": "OFFICE",
                   "direction": "INBOUND", "occurredAt": "2026-03-02T10:00:00+03:00",
                   "summary": f"matrix {role.value}"}

        answer = ledger.gql(query, {"i": contact}, token=token(ledger, role))

        forbidden = [e["path"][-1] for e in answer.body.get("errors") or []
                     if e["extensions"]["code"] == "FORBIDDEN"]
        allowed = role in ACCESS["account"]
        if role not in ACCESS["recordInteraction"]:
            assert forbidden == ["recordInteraction"], answer.body
        elif allowed:
            assert forbidden == [], answer.body
        else:  # the first refusal nulls the answer: nothing of the account's leaves
            assert forbidden and set(forbidden) <= {"appeals", "timeline"}, answer.body
            assert answer.body["data"] is None

    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    def test_introspection_is_for_every_authenticated_role(
        self, ledger: LedgerClient, role: Role
    ) -> None:
        answer = ledger.gql("{ __schema { queryType { name } } }", token=token(ledger, role))

        assert answer.data == {"__schema": {"queryType": {"name": "Query"}}}

    def test_introspection_without_a_token_is_401(self, ledger: LedgerClient) -> None:
        answer = ledger.gql("{ __schema { queryType { name } } }", token=None)

        assert answer.status == 401

    @pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
    def test_metrics_follow_the_table(self, ledger: LedgerClient, role: Role) -> None:
        response = ledger.get("/metrics", token=token(ledger, role))

        assert (response.status_code == 200) == (role in ACCESS["metrics"])
