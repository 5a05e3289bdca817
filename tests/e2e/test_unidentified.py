"""Contacts from unidentified people: their own stream keyed by the contact, linked later."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import PURPOSE, LedgerClient, account_number
from tests.e2e.pd_support import ERASE, accesses, post
from tests.e2e.test_subscriptions import connected, next_data, subscribe

pytestmark = pytest.mark.e2e

RECORD = """
mutation($input: RecordUnidentifiedInteractionInput!) {
  recordUnidentifiedInteraction(input: $input) {
    position contactRef interactionId duplicate contact { number }
  }
}"""
LINK = """
mutation($input: LinkContactInput!) {
  linkContact(input: $input) { position contactRef duplicate account { number } }
}"""
ERASE_LINKED = """
mutation($input: ErasureInput!) {
  erasePersonalData(input: $input) { position accountNumber linkedContacts }
}"""
TIMELINE = """
query($number: String!) {
  account(number: $number) { timeline(first: 50) { edges { node {
    accountNumber eventType summary details } } } }
}"""


def phone() -> str:
    """A random mobile number written as a caller would say it: 8 (9xx) xxx-xx-xx."""
    digits = f"{secrets.randbelow(10**9):09d}"
    return f"8 (9{digits[:2]}) {digits[2:5]}-{digits[5:7]}-{digits[7:]}"


def record(ledger: LedgerClient, contact: dict[str, str], external_id: str | None = None,
           summary: str = "Спрашивал, как заключить договор") -> Any:
    """recordUnidentifiedInteraction for a phone call; the whole answer."""
    return ledger.gql(RECORD, {"input": {
        "contact": contact, "channel": "PHONE", "direction": "INBOUND",
        "occurredAt": "2026-03-02T10:00:00+03:00", "summary": summary,
        "externalId": external_id}})


def visited(ledger: LedgerClient, *numbers: str, summary: str = "Визит") -> None:
    """An office visit on each account: the account exists, with a contact of its own."""
    for number in numbers:
        ledger.record({"accountNumber": number, "channel": "OFFICE", "direction": "INBOUND",
                       "occurredAt": "2026-03-01T10:00:00+03:00", "summary": summary})


def entries(ledger: LedgerClient, number: str, purpose: str | None) -> list[dict[str, Any]]:
    answer, _ = post(ledger, TIMELINE, {"number": number}, purpose=purpose)
    found = answer.data["account"]
    return [] if found is None else [e["node"] for e in found["timeline"]["edges"]]


class TestUnidentifiedContacts:
    def test_the_same_caller_lands_in_one_stream_however_the_number_is_written(
        self, ledger: LedgerClient
    ) -> None:
        spoken = phone()
        international = "+7" + "".join(ch for ch in spoken if ch.isdigit())[1:]

        first = record(ledger, {"phone": spoken}).data["recordUnidentifiedInteraction"]
        second = record(ledger, {"phone": international}, summary="Перезвонил")
        again = second.data["recordUnidentifiedInteraction"]

        assert first["contactRef"].startswith("U-")
        assert again["contactRef"] == first["contactRef"] == first["contact"]["number"]
        shown = entries(ledger, first["contactRef"], purpose=None)
        kinds = [e["eventType"] for e in shown]
        assert kinds.count("InteractionRecorded") == 2
        assert kinds.count("ContactPointRecorded") == 1  # the contact itself, once
        assert all(e["summary"] == "***" for e in shown if e["eventType"] ==
                   "InteractionRecorded")  # personal data: masked without a purpose

    def test_a_call_s_end_is_recorded_with_it(self, ledger: LedgerClient) -> None:
        answer = ledger.gql(RECORD, {"input": {
            "contact": {"phone": phone()}, "channel": "PHONE", "direction": "INBOUND",
            "occurredAt": "2026-03-02T10:00:00+03:00", "endedAt": "2026-03-02T10:07:30+03:00",
            "summary": "Спрашивал о тарифах"}})
        ref = answer.data["recordUnidentifiedInteraction"]["contactRef"]

        (call,) = [e for e in entries(ledger, ref, purpose=None)
                   if e["eventType"] == "InteractionRecorded"]

        assert call["details"]["endedAt"] == "2026-03-02T10:07:30+03:00"

    def test_a_repeated_external_id_is_stored_once(self, ledger: LedgerClient) -> None:
        contact = {"email": f"Caller{secrets.token_hex(4)}@Example.org"}
        first = record(ledger, contact, external_id="call-1")
        repeat = record(ledger, {"email": contact["email"].lower()}, external_id="call-1")

        before = first.data["recordUnidentifiedInteraction"]
        after = repeat.data["recordUnidentifiedInteraction"]
        assert after["duplicate"] is True
        assert after["interactionId"] == before["interactionId"]

    def test_a_linked_contact_shows_in_the_accounts_timeline(self, ledger: LedgerClient) -> None:
        account = account_number()
        visited(ledger, account, summary="Визит в ЦОК")
        ref = record(ledger, {"phone": phone()}).data["recordUnidentifiedInteraction"][
            "contactRef"]
        assert {e["accountNumber"] for e in entries(ledger, account, None)} == {account}

        linked = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": account}})
        payload = linked.data["linkContact"]
        repeat = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": account}})

        assert payload["duplicate"] is False and payload["account"]["number"] == account
        assert repeat.data["linkContact"]["duplicate"] is True
        shown = entries(ledger, account, None)
        assert {e["accountNumber"] for e in shown} == {account, ref}
        assert "LinkedToAccount" in [e["eventType"] for e in shown if e["accountNumber"] == ref]

    def test_a_purpose_for_the_account_covers_the_contacts_linked_to_it(
        self, ledger: LedgerClient
    ) -> None:
        account, other = account_number(), account_number()
        visited(ledger, account, other)
        ref = record(ledger, {"phone": phone()}, summary="Звонил до заключения договора").data[
            "recordUnidentifiedInteraction"]["contactRef"]
        link = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": account}})
        assert link.data["linkContact"]["account"]["number"] == account

        def calls(purpose: str) -> list[str]:
            return [e["summary"] for e in entries(ledger, account, purpose)
                    if e["accountNumber"] == ref and e["eventType"] == "InteractionRecorded"]

        assert calls(f"account:{account}") == ["Звонил до заключения договора"]
        assert calls(f"account:{other}") == ["***"]  # not this purpose's client
        recorded = accesses(ledger, accountNumber=ref)
        assert [a["purpose"] for a in recorded] == [f"account:{account}"]

    def test_a_wrong_link_is_corrected_by_linking_again(self, ledger: LedgerClient) -> None:
        wrong, right = account_number(), account_number()
        visited(ledger, wrong, right)
        ref = record(ledger, {"phone": phone()}).data["recordUnidentifiedInteraction"][
            "contactRef"]

        for number in (wrong, right):
            link = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": number}})
            assert link.data["linkContact"]["duplicate"] is False

        assert ref not in {e["accountNumber"] for e in entries(ledger, wrong, None)}
        assert ref in {e["accountNumber"] for e in entries(ledger, right, None)}


    def test_a_contacts_stream_is_erased_like_an_account(self, ledger: LedgerClient) -> None:
        ref = record(ledger, {"phone": phone()}).data["recordUnidentifiedInteraction"][
            "contactRef"]
        erased = ledger.gql(ERASE, {"input": {"accountNumber": ref,
                                              "ground": "152-ФЗ ст. 21: согласие отозвано"}},
                            token=Role.ADMIN)
        assert erased.data["erasePersonalData"]["accountNumber"] == ref

        shown = entries(ledger, ref, purpose=PURPOSE)
        summaries = [e["summary"] for e in shown if e["eventType"] == "InteractionRecorded"]
        contact = [e["details"] for e in shown if e["eventType"] == "ContactPointRecorded"]
        assert summaries == ["[erased]"]
        assert contact[0]["value"] == "[erased]"

    def test_erasing_an_account_erases_the_contacts_linked_to_it(
        self, ledger: LedgerClient
    ) -> None:
        account, other = account_number(), account_number()
        visited(ledger, account, other)
        calls = {number: record(ledger, {"phone": phone()}, summary=f"Звонил по {number}").data[
            "recordUnidentifiedInteraction"]["contactRef"] for number in (account, other)}
        for number, ref in calls.items():
            ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": number}})

        erased = ledger.gql(ERASE_LINKED, {"input": {
            "accountNumber": account, "ground": "152-ФЗ ст. 21: согласие отозвано"}},
            token=Role.ADMIN).data["erasePersonalData"]

        assert erased["accountNumber"] == account
        assert erased["linkedContacts"] == [calls[account]]

        def call_summaries(number: str) -> list[str]:
            return [e["summary"] for e in entries(ledger, number, PURPOSE)
                    if e["eventType"] == "InteractionRecorded" and e["accountNumber"] != number]

        assert call_summaries(account) == ["[erased]"]  # the contact's own stream too
        assert [e["summary"] for e in entries(ledger, calls[account], PURPOSE)
                if e["eventType"] == "InteractionRecorded"] == ["[erased]"]
        assert call_summaries(other) == [f"Звонил по {other}"]  # another client's link stays
        grounds = [e["details"]["ground"] for e in entries(ledger, calls[account], PURPOSE)
                   if e["eventType"] == "PersonalDataErased"]
        assert grounds == ["152-ФЗ ст. 21: согласие отозвано"]

    def test_an_account_without_linked_contacts_erases_only_itself(
        self, ledger: LedgerClient
    ) -> None:
        account = account_number()
        visited(ledger, account)
        erased = ledger.gql(ERASE_LINKED, {"input": {
            "accountNumber": account, "ground": "152-ФЗ ст. 21"}}, token=Role.ADMIN)
        assert erased.data["erasePersonalData"]["linkedContacts"] == []


class TestRefusals:
    def test_a_contact_needs_exactly_one_of_phone_or_email(self, ledger: LedgerClient) -> None:
        head = ledger.head()
        both = record(ledger, {"phone": phone(), "email": "a@example.org"})
        neither = record(ledger, {})
        bad_phone = record(ledger, {"phone": "12"})

        assert both.code == neither.code == bad_phone.code == "VALIDATION"
        assert both.error["extensions"]["field"] == "input.contact"
        assert bad_phone.error["extensions"]["field"] == "input.contact.phone"
        assert ledger.head() == head  # nothing stored

    def test_linking_needs_a_known_contact_and_a_clients_account(
        self, ledger: LedgerClient
    ) -> None:
        ref = record(ledger, {"phone": phone()}).data["recordUnidentifiedInteraction"][
            "contactRef"]
        head = ledger.head()
        unknown = ledger.gql(LINK, {"input": {"contactRef": "U-0000000000000000",
                                              "accountNumber": account_number()}})
        malformed = ledger.gql(LINK, {"input": {"contactRef": "U-xyz",
                                                "accountNumber": account_number()}})
        to_contact = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber": ref}})

        assert unknown.code == "NOT_FOUND"
        assert malformed.code == "VALIDATION"
        assert malformed.error["extensions"]["field"] == "input.contactRef"
        assert to_contact.code == "VALIDATION"
        assert to_contact.error["extensions"]["field"] == "input.accountNumber"
        assert ledger.head() == head

    def test_a_contact_stream_is_not_opened_by_other_commands(
        self, ledger: LedgerClient
    ) -> None:
        head = ledger.head()
        answer = ledger.record({"accountNumber": "U-00000000000000ff", "channel": "PHONE",
                                "direction": "INBOUND", "summary": "x",
                                "occurredAt": "2026-03-02T10:00:00+03:00"})
        assert answer.code == "NOT_FOUND"
        assert ledger.head() == head

    def test_only_workers_link_contacts(self, ledger: LedgerClient) -> None:
        ref = record(ledger, {"phone": phone()}).data["recordUnidentifiedInteraction"][
            "contactRef"]
        answer = ledger.gql(LINK, {"input": {"contactRef": ref, "accountNumber":
                                             account_number()}}, token=Role.AUDITOR)
        assert answer.code == "FORBIDDEN"


SUBSCRIBED = ("subscription($a: String!) { timelineAppended(accountNumber: $a) {"
              " accountNumber eventType } }")


class TestLinkedContactsLive:
    async def test_the_accounts_subscribers_see_its_linked_contacts_new_entries(
        self, ledger: LedgerClient
    ) -> None:
        account, caller = account_number(), {"phone": phone()}
        visited(ledger, account)
        ref = record(ledger, caller).data["recordUnidentifiedInteraction"]["contactRef"]
        async with connected(ledger, ledger.token(Role.OPERATOR)) as ws:
            await subscribe(ws, "t", SUBSCRIBED, account)
            await asyncio.sleep(0.3)  # the server registers the listener

            await asyncio.to_thread(ledger.gql, LINK, {"input": {"contactRef": ref,
                                                                  "accountNumber": account}})
            await asyncio.to_thread(record, ledger, caller, None, "Перезвонил")
            received = [(await next_data(ws))[1]["timelineAppended"] for _ in range(2)]

        assert received == [{"accountNumber": ref, "eventType": "LinkedToAccount"},
                            {"accountNumber": ref, "eventType": "InteractionRecorded"}]
