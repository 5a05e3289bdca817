"""`Account.asOf` over HTTP: an auditor sees an account as the ledger knew it at a moment,
with its SLA timers, contacts, consents and notifications (personal data masked or audited)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import PURPOSE, LedgerClient, account_number
from tests.e2e.pd_support import ERASE, accesses

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


PARTS = """
query($number: String!, $at: DateTime, $version: Int) {
  account(number: $number) {
    asOf(at: $at, version: $version) {
      version
      timers { timerId kind appealNumber state dueAt }
      contactPoints { kind value source }
      consents { channel given }
      notifications { id kind rule channel status requestedAt notSentAt reason }
    }
  }
}"""
TIMERS = """query($number: String!) {
  slaTimers(filter: {accountNumber: $number}) { edges { node { id kind state } } } }"""
CONTACT = """mutation($input: ContactPointInput!) {
  recordContactPoint(input: $input) { position } }"""
CONSENT = """mutation($input: ConsentInput!) { recordConsent(input: $input) { position } }"""
REMINDER = """mutation($input: NotificationRequestInput!) {
  requestNotification(input: $input) { position notification { id } } }"""
MOBILE = "+79005550011"


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


def parts(
    ledger: LedgerClient, account: str, role: Role = Role.ADMIN, purpose: str | None = None,
    **cut: Any,
) -> dict[str, Any]:
    """The new parts of `asOf` for a cut, as a role with (or without) a declared purpose."""
    answer = ledger.gql(PARTS, {"number": account} | cut, role, purpose=purpose)
    state: dict[str, Any] = answer.data["account"]["asOf"]
    return state


def caught_up(ledger: LedgerClient, read_model: str) -> None:
    """Wait until a read model has reached the log head."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        health = ledger.get("/health").json()
        if health["projections"].get(read_model, 0) >= health["head"]:
            return
        time.sleep(0.02)
    raise AssertionError(f"{read_model} did not catch up")


def with_mobile(ledger: LedgerClient) -> str:
    """A new account whose client gave a mobile number."""
    account = account_number()
    assert ledger.gql(CONTACT, {"input": {"accountNumber": account, "kind": "MOBILE",
                                          "value": MOBILE, "source": "CLIENT"}}).data
    return account


@pytest.fixture(scope="module")
def reachable(ledger: LedgerClient) -> tuple[str, list[str]]:
    """An account given a mobile number and SMS consent, consent then withdrawn, and a meter
    reminder asked for after that (no channel left: not sent); the moment after each step."""
    account, moments = account_number(), []
    for query, values in (
        (CONTACT, {"kind": "MOBILE", "value": MOBILE, "source": "CLIENT"}),
        (CONSENT, {"channel": "SMS", "given": True}),
        (CONSENT, {"channel": "SMS", "given": False}),
    ):
        assert ledger.gql(query, {"input": {"accountNumber": account} | values}).data
        moments.append(moment())
    assert ledger.gql(REMINDER, {"input": {
        "accountNumber": account, "kind": "VERIFICATION_REMINDER", "reference": "M-7:2026",
        "values": {"meterNumber": "M-7", "dueDate": "01.04.2026"}}}, Role.ADMIN).data
    moments.append(moment())
    return account, moments


class TestAsOfParts:
    def test_timers_agree_with_the_sla_timers_read_model(self, ledger: LedgerClient) -> None:
        account = account_number()
        number = ledger.register(account)["number"]
        caught_up(ledger, "sla_timers")

        replayed = parts(ledger, account, at=moment())["timers"]
        live = ledger.gql(TIMERS, {"number": account}, Role.AUDITOR).data["slaTimers"]["edges"]

        assert replayed and {t["appealNumber"] for t in replayed} == {number}
        assert sorted((t["timerId"], t["kind"], t["state"]) for t in replayed) == sorted(
            (e["node"]["id"], e["node"]["kind"], e["node"]["state"]) for e in live)

    def test_consent_is_seen_given_then_withdrawn(
        self, ledger: LedgerClient, reachable: tuple[str, list[str]]
    ) -> None:
        account, moments = reachable

        seen = [parts(ledger, account, at=m)["consents"] for m in moments[:3]]

        assert seen == [[], [{"channel": "SMS", "given": True}],
                        [{"channel": "SMS", "given": False}]]

    def test_the_notification_is_seen_not_sent_with_its_reason(
        self, ledger: LedgerClient, reachable: tuple[str, list[str]]
    ) -> None:
        account, moments = reachable

        before = parts(ledger, account, at=moments[2])["notifications"]
        [notice] = parts(ledger, account, at=moments[3])["notifications"]

        assert before == []
        assert (notice["kind"], notice["rule"], notice["channel"], notice["status"]) == (
            "VERIFICATION_REMINDER", "meter.verification", None, "NOT_SENT")
        assert notice["notSentAt"] == notice["requestedAt"]
        assert "sms: no consent for this channel" in notice["reason"]

    def test_contact_values_are_masked_without_a_purpose(self, ledger: LedgerClient) -> None:
        account = with_mobile(ledger)

        admin = parts(ledger, account, at=moment())
        auditor = parts(ledger, account, Role.AUDITOR, PURPOSE, at=moment())

        assert admin["contactPoints"] == [
            {"kind": "MOBILE", "value": "***", "source": "CLIENT"}]
        assert auditor["contactPoints"][0]["value"] == "***"  # auditors never see values
        assert not accesses(ledger, accountNumber=account)

    def test_with_a_purpose_the_value_is_shown_and_its_access_recorded(
        self, ledger: LedgerClient, reachable: tuple[str, list[str]]
    ) -> None:
        account, _ = reachable

        shown = parts(ledger, account, Role.ADMIN, PURPOSE, version=2)

        assert shown["version"] == 2
        assert shown["contactPoints"][0]["value"] == MOBILE
        [access] = accesses(ledger, accountNumber=account)
        assert (access["purpose"], access["role"], access["fields"]) == (
            PURPOSE, "admin", ["ContactPointState.value"])

    def test_after_erasure_the_value_reads_erased(self, ledger: LedgerClient) -> None:
        account = with_mobile(ledger)
        assert ledger.gql(ERASE, {"input": {"accountNumber": account, "ground": "152-ФЗ"}},
                          Role.ADMIN).data

        shown = parts(ledger, account, Role.ADMIN, PURPOSE, at=moment())

        assert shown["contactPoints"][0]["value"] == "[erased]"

    @pytest.mark.parametrize("version", [0, -3])
    def test_a_version_below_one_is_refused_by_field(
        self, ledger: LedgerClient, version: int
    ) -> None:
        account = account_number()
        ledger.register(account)

        answer = ledger.gql(PARTS, {"number": account, "version": version}, Role.AUDITOR)

        assert answer.code == "VALIDATION"
        assert answer.error["extensions"]["field"] == "version"

    def test_neither_a_moment_nor_a_version_is_refused(self, ledger: LedgerClient) -> None:
        account = account_number()
        ledger.register(account)

        answer = ledger.gql(PARTS, {"number": account}, Role.AUDITOR)

        assert answer.code == "VALIDATION"
