"""Erasure by crypto-shredding, and the subject's report, as a client sees them."""

from __future__ import annotations

import pytest

from api.auth import Role
from tests.e2e.conftest import LedgerClient, account_number
from tests.e2e.pd_support import (
    ERASE,
    REPORT,
    accesses,
    post,
    read_appeal,
    timeline,
)

pytestmark = pytest.mark.e2e

GROUND = "152-ФЗ ст. 21 ч. 5: согласие отозвано"
CONTACT = {"name": "Кузнецова Анна", "phone": "+79007770000"}


def account_with_history(ledger: LedgerClient) -> tuple[str, str]:
    """An account with an appeal (contact, subject, text) and a call; its number, the appeal."""
    account = account_number()
    appeal = ledger.register(account, contact=CONTACT, subject="Кузнецова: счёт")
    ledger.record({"accountNumber": account, "channel": "PHONE", "direction": "INBOUND",
                   "occurredAt": "2026-03-02T10:00:00+03:00", "summary": "Звонила Кузнецова"})
    return account, appeal["number"]


def erased(ledger: LedgerClient, account: str) -> dict[str, object]:
    payload: dict[str, object] = ledger.gql(
        ERASE, {"input": {"accountNumber": account, "ground": GROUND}}, token=Role.ADMIN,
    ).data["erasePersonalData"]
    return payload


class TestErasure:
    def test_personal_fields_read_erased_whatever_the_purpose(
        self, ledger: LedgerClient
    ) -> None:
        account, number = account_with_history(ledger)

        erased(ledger, account)

        for purpose in (f"appeal:{number}", None):
            appeal, _ = read_appeal(ledger, number, purpose)
            assert (appeal["subject"], appeal["text"]) == ("[erased]", "[erased]")
            assert set(appeal["contact"].values()) == {"[erased]"}
            assert appeal["status"] == "REGISTERED"

    def test_the_timeline_reads_erased(self, ledger: LedgerClient) -> None:
        account, _ = account_with_history(ledger)

        erased(ledger, account)

        entries = {e["eventType"]: e for e in timeline(ledger, account, f"account:{account}")}
        assert entries["InteractionRecorded"]["summary"] == "[erased]"
        assert entries["AppealRegistered"]["summary"].endswith(": [erased]")
        assert entries["AppealRegistered"]["details"]["text"] == "[erased]"
        assert entries["PersonalDataErased"]["details"]["ground"] == GROUND

    def test_reading_erased_data_is_no_access(self, ledger: LedgerClient) -> None:
        account, number = account_with_history(ledger)
        erased(ledger, account)

        _, request_id = read_appeal(ledger, number, f"appeal:{number}")

        assert [a for a in accesses(ledger, accountNumber=account)
                if a["requestId"] == request_id] == []

    def test_what_comes_after_the_erasure_is_shown(self, ledger: LedgerClient) -> None:
        account, _ = account_with_history(ledger)
        erased(ledger, account)

        later = ledger.register(account, subject="Новая тема")

        assert later["subject"] == "Новая тема"

    def test_an_unknown_account_is_not_found(self, ledger: LedgerClient) -> None:
        answer = ledger.gql(ERASE, {"input": {"accountNumber": account_number(),
                                              "ground": GROUND}}, token=Role.ADMIN)

        assert answer.code == "NOT_FOUND"

    def test_a_legal_ground_is_required(self, ledger: LedgerClient) -> None:
        account, _ = account_with_history(ledger)

        answer = ledger.gql(ERASE, {"input": {"accountNumber": account, "ground": ""}},
                            token=Role.ADMIN)

        assert (answer.code, answer.error["extensions"]["field"]) == (
            "VALIDATION", "input.ground")


class TestSubjectReport:
    def test_lists_the_data_held_and_each_access(self, ledger: LedgerClient) -> None:
        account, number = account_with_history(ledger)
        read_appeal(ledger, number, f"appeal:{number}")
        accesses(ledger, accountNumber=account)  # the audit has caught up

        answer, _ = post(ledger, REPORT, {"number": account}, Role.AUDITOR, "subject-request:SR-1")

        report = answer.data["subjectReport"]
        held = {h["eventType"]: h["fields"] for h in report["held"]}
        assert held["AppealRegistered"]["contact"]["name"] == "Кузнецова Анна"
        assert held["InteractionRecorded"]["summary"] == "Звонила Кузнецова"
        assert f"appeal:{number}" in {a["purpose"] for a in report["accesses"]}

    def test_after_erasure_it_shows_the_ground_and_nothing_personal(
        self, ledger: LedgerClient
    ) -> None:
        account, _ = account_with_history(ledger)
        erased(ledger, account)

        answer, _ = post(ledger, REPORT, {"number": account}, Role.AUDITOR, "subject-request:SR-1")

        report = answer.data["subjectReport"]
        assert report["erasures"] == [{"actor": "e2e-admin", "ground": GROUND}]
        assert "Кузнецова" not in str(report["held"])

    def test_the_printable_document_is_audited_like_any_read(
        self, ledger: LedgerClient
    ) -> None:
        account, _ = account_with_history(ledger)
        path = f"/reports/subject/{account}"
        headers = {"Authorization": f"Bearer {ledger.token(Role.AUDITOR)}"}

        masked = ledger.http.get(path, headers=headers)
        shown = ledger.http.get(path, headers=headers | {"X-Purpose": "subject-request:SR-1"})

        assert masked.status_code == shown.status_code == 200
        assert "Кузнецова" not in masked.text and "***" in masked.text
        assert "Кузнецова" in shown.text
        assert shown.headers["content-type"].startswith("text/html")
        apis = [a["api"] for a in accesses(ledger, accountNumber=account)]  # newest first
        assert apis[0] == "report" and apis.count("report") == 1  # the masked one is none

    def test_the_document_is_for_auditors(self, ledger: LedgerClient) -> None:
        account, _ = account_with_history(ledger)

        response = ledger.get(f"/reports/subject/{account}", token=Role.OPERATOR)
        anonymous = ledger.get(f"/reports/subject/{account}")

        assert (response.status_code, anonymous.status_code) == (403, 401)
