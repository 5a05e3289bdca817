"""`Account.asOf` over HTTP: an auditor sees an account as the ledger knew it at a moment."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from api.auth import Role
from tests.e2e.conftest import LedgerClient, account_number

pytestmark = pytest.mark.e2e

AS_OF = """
query($number: String!, $at: DateTime!) {
  account(number: $number) {
    asOf(at: $at) {
      number version recordedAt
      appeals { number status assignee extended }
      events { version eventType }
    }
  }
}"""


def moment() -> str:
    """Now, a little after the last store and a little before the next."""
    time.sleep(0.02)
    now = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    return now


class TestAsOf:
    def test_an_auditor_sees_each_moment_of_an_appeal(self, ledger: LedgerClient) -> None:
        account = account_number()
        number = ledger.register(account)["number"]
        registered = moment()
        ledger.succeed("assignAppeal", {"appealNumber": number, "assignee": "petrova"})
        assigned = moment()

        seen = [ledger.gql(AS_OF, {"number": account, "at": at}, Role.AUDITOR)
                .data["account"]["asOf"] for at in (registered, assigned)]

        assert [s["appeals"] for s in seen] == [
            [{"number": number, "status": "REGISTERED", "assignee": None, "extended": False}],
            [{"number": number, "status": "ASSIGNED", "assignee": "petrova", "extended": False}],
        ]
        assert [e["eventType"] for e in seen[1]["events"]] == [
            "Opened", "AppealRegistered", "AppealAssigned"]

    def test_an_operator_may_not_replay(self, ledger: LedgerClient) -> None:
        account = account_number()
        ledger.register(account)

        answer = ledger.gql(AS_OF, {"number": account, "at": moment()}, Role.OPERATOR)

        assert answer.code == "FORBIDDEN"

    def test_before_the_first_event_the_account_is_not_found(
        self, ledger: LedgerClient
    ) -> None:
        before = moment()
        account = account_number()
        ledger.register(account)

        answer = ledger.gql(AS_OF, {"number": account, "at": before}, Role.ADMIN)

        assert answer.code == "NOT_FOUND"
