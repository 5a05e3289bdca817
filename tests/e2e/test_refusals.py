"""What the running service refuses, how it says so, and that a refusal stores nothing."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import pytest

from api.auth import Role, TokenKeys
from tests.e2e.conftest import (
    RECORD_INTERACTION,
    LedgerClient,
    account_number,
    appeal_number,
    instant,
)

pytestmark = pytest.mark.e2e

REMOVE = object()
"""A patch value meaning: leave the field out of the input."""

def registration(account: str, **patch: Any) -> dict[str, Any]:
    """A valid registerAppeal input, with fields replaced (or removed with REMOVE)."""
    values = {
        "accountNumber": account, "channel": "EMAIL", "type": "COMPLAINT",
        "receivedAt": instant().isoformat(), "subject": "Счёт", "text": "Счёт завышен.",
        "contact": {"email": "client@example.org"},
    } | patch
    return {k: v for k, v in values.items() if v is not REMOVE}


def appeal_in(ledger: LedgerClient, status: str) -> dict[str, Any]:
    """An appeal taken to a status: REGISTERED, ASSIGNED (extended once) or CLOSED."""
    appeal = ledger.register(account_number(), "EMAIL")
    number = appeal["number"]
    if status == "ASSIGNED":
        ledger.succeed("assignAppeal", {"appealNumber": number, "assignee": "petrov"})
        appeal = ledger.succeed("extendAppeal", {"appealNumber": number, "reason": "Проверка."})[
            "appeal"]
    if status == "CLOSED":
        ledger.succeed("answerAppeal", {"appealNumber": number, "channel": "EMAIL", "text": "Да."})
        appeal = ledger.succeed("closeAppeal", {"appealNumber": number, "note": "Всё."})["appeal"]
    assert appeal["status"] == status
    return appeal


class TestRefusedTransition:
    @pytest.mark.parametrize(("status", "mutation", "values", "action"), [
        ("REGISTERED", "closeAppeal", {"note": "Закрыть."}, "close"),
        ("CLOSED", "answerAppeal", {"channel": "EMAIL", "text": "Ещё ответ."}, "answer"),
        ("ASSIGNED", "extendAppeal", {"reason": "Ещё раз."}, "extend"),
    ], ids=["close-registered", "answer-closed", "extend-twice"])
    def test_is_refused_naming_the_appeal_its_status_and_the_action(
        self, ledger: LedgerClient, status: str, mutation: str, values: dict[str, Any],
        action: str,
    ) -> None:
        number = appeal_in(ledger, status)["number"]

        refused = ledger.mutate(mutation, {"appealNumber": number} | values)

        assert refused.code == "INVALID_TRANSITION"
        message = refused.error["message"]
        assert number in message and status in message and action in message

    @pytest.mark.parametrize(("status", "mutation", "values"), [
        ("REGISTERED", "closeAppeal", {"note": "Закрыть."}),
        ("CLOSED", "answerAppeal", {"channel": "EMAIL", "text": "Ещё ответ."}),
        ("ASSIGNED", "extendAppeal", {"reason": "Ещё раз."}),
    ], ids=["close-registered", "answer-closed", "extend-twice"])
    def test_changes_nothing(
        self, ledger: LedgerClient, status: str, mutation: str, values: dict[str, Any]
    ) -> None:
        before = appeal_in(ledger, status)
        head = ledger.head()

        ledger.mutate(mutation, {"appealNumber": before["number"]} | values)

        assert ledger.head() == head  # before reading: a read of personal data is audited
        after = ledger.appeal(before["number"])
        assert after is not None
        assert after["status"] == status
        assert len(after["history"]) == len(before["history"])


class TestBadInput:
    @pytest.mark.parametrize(("patch", "field"), [
        ({"accountNumber": "12-34-AB"}, "input.accountNumber"),
        ({"receivedAt": "2026-03-02T10:00:00"}, "input.receivedAt"),
        ({"text": ""}, "input.text"),
        ({"subject": ""}, "input.subject"),
        pytest.param({"channel": "FAX"}, "input.channel"),
        pytest.param({"subject": REMOVE}, "input.subject"),
    ], ids=["account-number", "no-offset", "empty-text", "empty-subject", "unknown-enum",
            "missing-field"])
    def test_a_registration_names_the_bad_field_and_stores_nothing(
        self, ledger: LedgerClient, patch: dict[str, Any], field: str
    ) -> None:
        account, head = account_number(), ledger.head()

        refused = ledger.mutate("registerAppeal", registration(account, **patch))

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"].get("field") == field
        assert ledger.head() == head
        assert ledger.timeline(account) == []

    @pytest.mark.parametrize(("patch", "named"), [
        ({"channel": "FAX"}, "FAX"), ({"subject": REMOVE}, "subject"),
    ], ids=["unknown-enum", "missing-field"])
    def test_a_malformed_variable_is_a_validation_error_naming_the_culprit(
        self, ledger: LedgerClient, patch: dict[str, Any], named: str
    ) -> None:
        head = ledger.head()

        refused = ledger.mutate("registerAppeal", registration(account_number(), **patch))

        assert refused.code == "VALIDATION"
        assert named in refused.error["message"]
        assert ledger.head() == head

    def test_an_unknown_enum_literal_is_a_validation_error(self, ledger: LedgerClient) -> None:
        query = f"""mutation {{ registerAppeal(input: {{
          accountNumber: "{account_number()}", channel: FAX, type: COMPLAINT,
          receivedAt: "{instant().isoformat()}", subject: "s", text: "t" }}) {{ position }} }}"""

        refused = ledger.gql(query)

        assert refused.code == "VALIDATION"
        assert "FAX" in refused.error["message"]

    def test_a_negative_meter_reading_is_refused(self, ledger: LedgerClient) -> None:
        account, head = account_number(), ledger.head()
        values = {
            "accountNumber": account, "channel": "MOBILE_APP", "direction": "INBOUND",
            "occurredAt": instant().isoformat(), "summary": "Показания.",
            "meterReading": {"meterNumber": "CE102-0042", "value": "-1"},
        }

        refused = ledger.gql(RECORD_INTERACTION, {"input": values})

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"]["field"].startswith("input.meterReading")
        assert ledger.head() == head
        assert ledger.timeline(account) == []

    def test_a_contact_ending_before_it_began_is_refused(self, ledger: LedgerClient) -> None:
        account, head, began = account_number(), ledger.head(), instant()
        values = {
            "accountNumber": account, "channel": "PHONE", "direction": "INBOUND",
            "occurredAt": began.isoformat(), "summary": "Звонок",
            "endedAt": (began - timedelta(minutes=1)).isoformat(),
        }

        refused = ledger.gql(RECORD_INTERACTION, {"input": values})

        assert refused.code == "VALIDATION"
        assert refused.error["message"] == "endedAt must not be earlier than occurredAt"
        assert refused.error["extensions"]["field"] == "input.endedAt"
        assert ledger.head() == head

    def test_a_malformed_appeal_number_is_refused(self, ledger: LedgerClient) -> None:
        head = ledger.head()

        refused = ledger.mutate("closeAppeal", {"appealNumber": "A-1", "note": "Закрыть."})

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"]["field"] == "input.appealNumber"
        assert ledger.head() == head

    def test_an_answer_through_another_channel_than_the_chosen_one_is_refused(
        self, ledger: LedgerClient
    ) -> None:
        number = ledger.register(account_number(), "OFFICE", replyChannel="MAIL")["number"]
        head = ledger.head()

        refused = ledger.mutate("answerAppeal", {
            "appealNumber": number, "channel": "EMAIL", "text": "Ответ."})

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"]["field"] == "input.channel"
        assert "MAIL" in refused.error["message"]
        assert ledger.head() == head
        appeal = ledger.appeal(number)
        assert appeal is not None and appeal["status"] == "REGISTERED"


class TestNotFound:
    @pytest.mark.parametrize(("mutation", "values"), [
        ("assignAppeal", {"assignee": "petrov"}),
        ("answerAppeal", {"channel": "EMAIL", "text": "Ответ."}),
        ("closeAppeal", {"note": "Закрыть."}),
    ])
    def test_a_mutation_on_an_unknown_appeal_is_not_found(
        self, ledger: LedgerClient, mutation: str, values: dict[str, Any]
    ) -> None:
        number, head = appeal_number(), ledger.head()

        refused = ledger.mutate(mutation, {"appealNumber": number} | values)

        assert refused.code == "NOT_FOUND"
        assert number in refused.error["message"]
        assert ledger.head() == head

    def test_an_unknown_appeal_reads_as_null(self, ledger: LedgerClient) -> None:
        number = appeal_number()

        found = ledger.appeal(number)

        assert found is None

    def test_an_account_never_contacted_reads_as_null(self, ledger: LedgerClient) -> None:
        query = "query($n: String!) { account(number: $n) { number } }"

        answer = ledger.gql(query, {"n": account_number()})

        assert answer.data == {"account": None}


APPEAL_QUERY = '{ appeal(number: "2026-000001") { number } }'


def with_claims(token: str, **claims: Any) -> str:
    """The token with its claims changed and its signature kept."""
    header, body, signature = token.split(".")
    padded = body + "=" * (-len(body) % 4)
    changed = json.loads(base64.urlsafe_b64decode(padded)) | claims
    encoded = base64.urlsafe_b64encode(json.dumps(changed).encode()).decode().rstrip("=")
    return f"{header}.{encoded}.{signature}"


class TestAuthentication:
    def test_a_request_without_a_token_gets_401(self, ledger: LedgerClient) -> None:
        answer = ledger.gql(APPEAL_QUERY, token=None)

        assert answer.status == 401
        assert answer.code == "UNAUTHENTICATED"

    def test_a_tampered_token_gets_401(self, ledger: LedgerClient) -> None:
        tampered = with_claims(ledger.token(Role.AUDITOR), role="admin")

        answer = ledger.gql(APPEAL_QUERY, token=tampered)

        assert answer.status == 401

    def test_a_token_signed_with_another_key_gets_401(self, ledger: LedgerClient) -> None:
        stranger = TokenKeys(current="x" * 48).issue(Role.ADMIN, "mallory", 3600)

        answer = ledger.gql(APPEAL_QUERY, token=stranger)

        assert answer.status == 401

    def test_an_expired_token_gets_401(self, ledger: LedgerClient) -> None:
        expired = ledger.keys.issue(Role.OPERATOR, "late", 60, now=time.time() - 7200)

        answer = ledger.gql(APPEAL_QUERY, token=expired)

        assert answer.status == 401
        assert answer.code == "UNAUTHENTICATED"

    def test_a_mutation_without_a_token_stores_nothing(self, ledger: LedgerClient) -> None:
        account, head = account_number(), ledger.head()

        answer = ledger.mutate("registerAppeal", registration(account), token=None)

        assert answer.status == 401
        assert ledger.head() == head
        assert ledger.timeline(account) == []


class TestAuthorization:
    def test_an_auditor_calling_a_mutation_is_forbidden(self, ledger: LedgerClient) -> None:
        account, head = account_number(), ledger.head()

        refused = ledger.mutate("registerAppeal", registration(account), token=Role.AUDITOR)

        assert refused.code == "FORBIDDEN"
        assert ledger.head() == head
        assert ledger.timeline(account) == []

    def test_an_auditor_may_read_an_appeal(self, ledger: LedgerClient) -> None:
        number = ledger.register(account_number())["number"]
        query = "query($n: String!) { appeal(number: $n) { number status } }"

        answer = ledger.gql(query, {"n": number}, token=Role.AUDITOR)

        assert answer.data["appeal"] == {"number": number, "status": "REGISTERED"}

    def test_an_integration_may_not_list_appeals(self, ledger: LedgerClient) -> None:
        answer = ledger.gql("{ appeals(first: 1) { edges { cursor } } }", token=Role.INTEGRATION)

        assert answer.code == "FORBIDDEN"


class TestMetrics:
    def test_metrics_without_a_token_get_401(self, ledger: LedgerClient) -> None:
        response = ledger.get("/metrics")

        assert response.status_code == 401

    def test_a_supervisor_reads_the_log_head(self, ledger: LedgerClient) -> None:
        ledger.register(account_number())
        head = ledger.head()

        response = ledger.get("/metrics", token=Role.SUPERVISOR)

        assert response.status_code == 200
        assert f"ledger_log_head {head}\n" in response.text

    def test_an_operator_may_not_read_metrics(self, ledger: LedgerClient) -> None:
        response = ledger.get("/metrics", token=Role.OPERATOR)

        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


class TestHealth:
    def test_health_needs_no_token_and_reports_each_read_model(
        self, ledger: LedgerClient
    ) -> None:
        response = ledger.get("/health")

        body = response.json()
        assert response.status_code == 200
        assert body["status"] == "ok"
        assert {"timeline", "appeal_status"} <= set(body["projections"])
