"""What the personal-data tests share: queries, waiting for the audit, reading it."""

from __future__ import annotations

import time
import uuid
from typing import Any

from api.auth import Role
from tests.e2e.conftest import APPEAL, Answer, LedgerClient

ACCESSES = """
query($filter: PdAccessFilter!, $first: Int) {
  personalDataAccess(filter: $filter, first: $first) {
    edges { node { position at actor role purpose accountNumber fields requestId api } }
  }
}"""
ERASE = """
mutation($input: ErasureInput!) { erasePersonalData(input: $input) { position accountNumber } }
"""
REPORT = """
query($number: String!) {
  subjectReport(accountNumber: $number) {
    accountNumber held { eventType appealNumber fields }
    accesses { purpose fields api } erasures { actor ground }
  }
}"""
PERSONAL_TIMELINE = """
query($number: String!) {
  account(number: $number) { timeline(first: 200) { edges { node {
    eventType summary details } } } }
}"""


def post(
    ledger: LedgerClient, query: str, variables: dict[str, Any], role: Role = Role.OPERATOR,
    purpose: str | None = None, request_id: str | None = None,
) -> tuple[Answer, str]:
    """A GraphQL request with an explicit purpose and request id; the answer and the id."""
    request_id = request_id or uuid.uuid4().hex
    headers = {"Authorization": f"Bearer {ledger.token(role)}", "X-Request-Id": request_id}
    if purpose is not None:
        headers["X-Purpose"] = purpose
    response = ledger.http.post("/graphql", json={"query": query, "variables": variables},
                                headers=headers)
    return Answer(response.status_code, response.json()), request_id


def read_appeal(
    ledger: LedgerClient, number: str, purpose: str | None, role: Role = Role.OPERATOR,
) -> tuple[dict[str, Any], str]:
    """`appeal(number)` with every field, for a purpose (or none); the appeal and request id."""
    answer, request_id = post(ledger, APPEAL, {"number": number}, role, purpose)
    appeal: dict[str, Any] = answer.data["appeal"]
    return appeal, request_id


def audit_caught_up(ledger: LedgerClient, timeout: float = 10.0) -> None:
    """Wait until the access audit read model has reached the log head."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        health = ledger.get("/health").json()
        if health["projections"].get("pd_audit", 0) >= health["head"]:
            return
        time.sleep(0.02)
    raise AssertionError("pd_audit did not catch up")


def accesses(ledger: LedgerClient, **filter_: Any) -> list[dict[str, Any]]:
    """The recorded accesses matching a filter, newest first (after the audit caught up)."""
    audit_caught_up(ledger)
    answer = ledger.gql(ACCESSES, {"filter": filter_, "first": 200}, token=Role.AUDITOR)
    return [e["node"] for e in answer.data["personalDataAccess"]["edges"]]


def timeline(ledger: LedgerClient, number: str, purpose: str | None) -> list[dict[str, Any]]:
    """The account's timeline entries, for a purpose (or none)."""
    answer, _ = post(ledger, PERSONAL_TIMELINE, {"number": number}, purpose=purpose)
    return [e["node"] for e in answer.data["account"]["timeline"]["edges"]]
