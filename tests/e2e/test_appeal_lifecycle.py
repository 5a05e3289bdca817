"""An appeal's whole life over HTTP, on every channel, as a frontend sees it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest

from domain.values import Channel
from tests.e2e.conftest import LedgerClient, account_number, instant

pytestmark = pytest.mark.e2e

REPLY_CHANNEL: dict[Channel, Channel | None] = {
    Channel.OFFICE: Channel.MAIL,
    Channel.PHONE: Channel.EMAIL,
    Channel.IVR: None,
    Channel.CHAT: Channel.CHAT,
    Channel.MAIL: None,
    Channel.EMAIL: Channel.EMAIL,
    Channel.PERSONAL_ACCOUNT: Channel.PERSONAL_ACCOUNT,
    Channel.MOBILE_APP: None,
    Channel.GIS_ZHKH: Channel.MAIL,
}
"""Where each channel's appeal asks for the answer; None: no choice made."""

CONTACT = {
    "name": "Иванова Мария Петровна", "phone": "+79001234567",
    "email": "ivanova@example.org", "postalAddress": "Тверь, ул. Советская, 1, кв. 2",
}
STEPS: list[tuple[str, str, str]] = [
    ("AppealRegistered", "REGISTERED", "registerAppeal"),
    ("AppealAssigned", "ASSIGNED", "assignAppeal"),
    ("ClarificationRequested", "AWAITING_CLIENT", "requestClarification"),
    ("AppealExtended", "AWAITING_CLIENT", "extendAppeal"),
    ("AppealAnswered", "ANSWERED", "answerAppeal"),
    ("AppealClosed", "CLOSED", "closeAppeal"),
]
"""(event, status after it, mutation): the lifecycle walked on every channel."""

APPEALS = """
query($filter: AppealFilter, $first: Int!, $after: String) {
  appeals(filter: $filter, first: $first, after: $after) {
    edges { cursor node { number status channel type assignee receivedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""


def answer_channel(channel: Channel) -> str:
    """The channel the answer must go through: the client's choice, else the appeal's own."""
    return (REPLY_CHANNEL[channel] or channel).name


def step_inputs(number: str, channel: Channel) -> dict[str, dict[str, Any]]:
    """The input of each lifecycle mutation after registration."""
    return {
        "assignAppeal": {"appealNumber": number, "assignee": "petrov"},
        "requestClarification": {"appealNumber": number, "note": "Нужен номер счётчика."},
        "extendAppeal": {"appealNumber": number, "reason": "Запрошена проверка сетевой."},
        "answerAppeal": {"appealNumber": number, "channel": answer_channel(channel),
                         "text": "Перерасчёт сделан."},
        "closeAppeal": {"appealNumber": number, "note": "Клиент согласен."},
    }


def walk_lifecycle(ledger: LedgerClient, account: str, channel: Channel) -> list[dict[str, Any]]:
    """Register an appeal on a channel and take it to CLOSED; the payload of each mutation."""
    reply = REPLY_CHANNEL[channel]
    register = {
        "accountNumber": account, "channel": channel.name, "type": "COMPLAINT",
        "receivedAt": instant().isoformat(), "subject": "Перерасчёт", "text": "Прошу пересчитать.",
        "contact": CONTACT, "replyChannel": None if reply is None else reply.name,
    }
    payloads = [ledger.mutate("registerAppeal", register).data["registerAppeal"]]
    number = payloads[0]["appeal"]["number"]
    for mutation, values in step_inputs(number, channel).items():
        payloads.append(ledger.mutate(mutation, values).data[mutation])
    return payloads


@pytest.mark.parametrize("channel", list(Channel), ids=lambda c: c.name)
class TestAppealLifecycle:
    def test_each_mutation_answers_with_a_later_position_and_the_new_status(
        self, ledger: LedgerClient, channel: Channel
    ) -> None:
        account = account_number()

        payloads = walk_lifecycle(ledger, account, channel)

        positions = [p["position"] for p in payloads]
        assert positions == sorted(set(positions))
        assert [p["appeal"]["status"] for p in payloads] == [status for _, status, _ in STEPS]

    def test_the_closed_appeal_keeps_what_each_step_recorded(
        self, ledger: LedgerClient, channel: Channel
    ) -> None:
        account = account_number()
        number = walk_lifecycle(ledger, account, channel)[0]["appeal"]["number"]

        appeal = ledger.appeal(number)

        assert appeal is not None
        assert (appeal["accountNumber"], appeal["channel"], appeal["type"]) == (
            account, channel.name, "COMPLAINT")
        assert appeal["contact"] == CONTACT
        assert appeal["assignee"] == "petrov"
        assert appeal["extended"] is True
        assert appeal["answerChannel"] == answer_channel(channel)
        assert appeal["answeredAt"] is not None
        assert appeal["closedAt"] is not None

    def test_history_lists_every_step_in_order(
        self, ledger: LedgerClient, channel: Channel
    ) -> None:
        number = walk_lifecycle(ledger, account_number(), channel)[0]["appeal"]["number"]

        appeal = ledger.appeal(number)

        assert appeal is not None
        assert [(h["eventType"], h["status"]) for h in appeal["history"]] == [
            (event, status) for event, status, _ in STEPS]

    def test_the_account_timeline_lists_every_step_newest_first(
        self, ledger: LedgerClient, channel: Channel
    ) -> None:
        account = account_number()
        payloads = walk_lifecycle(ledger, account, channel)
        number, last = payloads[0]["appeal"]["number"], payloads[-1]["position"]

        # the mutations waited for the appeal-status read model; the timeline follows on its own
        timeline = ledger.timeline(account)
        for _ in range(100):
            if timeline and timeline[0]["position"] >= last:
                break
            time.sleep(0.05)
            timeline = ledger.timeline(account)

        lifecycle = {event for event, _, _ in STEPS}  # not the out-of-hours reply or SLA marks
        steps = [e for e in timeline if e["appealNumber"] == number and e["eventType"] in lifecycle]
        assert [e["eventType"] for e in steps] == [event for event, _, _ in reversed(STEPS)]
        positions = [e["position"] for e in timeline]
        assert positions == sorted(positions, reverse=True)


class TestRecordInteraction:
    @pytest.mark.parametrize("channel", list(Channel), ids=lambda c: c.name)
    def test_records_a_contact_on_each_channel(
        self, ledger: LedgerClient, channel: Channel
    ) -> None:
        account = account_number()
        head = ledger.head()

        payload = ledger.record(interaction(account, channel.name, f"ext-{account}")).data[
            "recordInteraction"]

        assert payload["duplicate"] is False
        assert payload["position"] > head
        assert payload["account"] == {"number": account}
        latest = ledger.timeline(account)[0]
        assert (latest["eventType"], latest["channel"], latest["position"]) == (
            "InteractionRecorded", channel.name, payload["position"])
        assert latest["summary"] == "Клиент спросил о тарифе."

    def test_records_a_meter_reading_handed_in(self, ledger: LedgerClient) -> None:
        account = account_number()
        values = interaction(account, "PERSONAL_ACCOUNT") | {
            "meterReading": {"meterNumber": "CE102-0042", "value": "12345.67"}}

        payload = ledger.record(values).data["recordInteraction"]

        latest = ledger.timeline(account)[0]
        assert latest["position"] == payload["position"]
        details = latest["details"]
        reading = details.get("meter_reading") or details.get("meterReading")
        assert reading is not None, details
        assert reading.get("meter_number", reading.get("meterNumber")) == "CE102-0042"
        assert str(reading["value"]) == "12345.67"

    def test_a_repeat_of_channel_and_external_id_is_stored_once(
        self, ledger: LedgerClient
    ) -> None:
        account = account_number()
        values = interaction(account, "IVR", external_id="call-77")
        first = ledger.record(values).data["recordInteraction"]
        head = ledger.head()

        repeat = ledger.record(values).data["recordInteraction"]

        assert repeat["duplicate"] is True
        assert repeat["interactionId"] == first["interactionId"]
        assert ledger.head() == head
        recorded = [e for e in ledger.timeline(account) if e["eventType"] == "InteractionRecorded"]
        assert len(recorded) == 1

    def test_the_same_external_id_on_another_channel_is_another_contact(
        self, ledger: LedgerClient
    ) -> None:
        account = account_number()
        first = ledger.record(interaction(account, "CHAT", "msg-1")).data["recordInteraction"]

        other = ledger.record(interaction(account, "EMAIL", "msg-1")).data["recordInteraction"]

        assert other["duplicate"] is False
        assert other["interactionId"] != first["interactionId"]
        recorded = [e for e in ledger.timeline(account) if e["eventType"] == "InteractionRecorded"]
        assert len(recorded) == 2


def interaction(account: str, channel: str, external_id: str | None = None) -> dict[str, Any]:
    """A recordInteraction input: an inbound question."""
    return {
        "accountNumber": account, "channel": channel, "direction": "INBOUND",
        "occurredAt": instant().isoformat(), "summary": "Клиент спросил о тарифе.",
        "operator": "sidorova", "externalId": external_id,
    }


class TestDeferAppeal:
    def test_defers_an_appeal_in_work_and_it_can_be_answered_later(
        self, ledger: LedgerClient
    ) -> None:
        number = ledger.register(account_number(), "CHAT")["number"]

        deferred = ledger.mutate("deferAppeal", {
            "appealNumber": number, "reason": "Обращение после 17:00."}).data["deferAppeal"]
        answered = ledger.mutate("answerAppeal", {
            "appealNumber": number, "channel": "CHAT", "text": "Ответ."}).data["answerAppeal"]

        assert deferred["appeal"]["status"] == "DEFERRED"
        assert answered["appeal"]["status"] == "ANSWERED"
        assert [h["eventType"] for h in answered["appeal"]["history"]] == [
            "AppealRegistered", "AppealDeferred", "AppealAnswered"]


class TestLeaveWithoutConsideration:
    def test_leaves_a_repeat_of_an_answered_appeal(self, ledger: LedgerClient) -> None:
        account = account_number()
        earlier = ledger.register(account, "MAIL")["number"]
        ledger.succeed("answerAppeal", {
            "appealNumber": earlier, "channel": "MAIL", "text": "Ответ."})
        repeat = ledger.register(account, "MAIL")["number"]

        left = ledger.mutate("leaveAppealWithoutConsideration", {
            "appealNumber": repeat, "reason": "REPEATED", "relatedAppealNumber": earlier,
        }).data["leaveAppealWithoutConsideration"]["appeal"]

        assert left["status"] == "LEFT_WITHOUT_CONSIDERATION"
        assert left["withoutConsiderationReason"] == "REPEATED"
        assert left["relatedAppealNumber"] == earlier
        assert left["history"][-1] == {
            "eventType": "AppealLeftWithoutConsideration", "status": "LEFT_WITHOUT_CONSIDERATION"}

    def test_leaves_an_illegible_letter(self, ledger: LedgerClient) -> None:
        number = ledger.register(account_number(), "MAIL")["number"]

        left = ledger.mutate("leaveAppealWithoutConsideration", {
            "appealNumber": number, "reason": "ILLEGIBLE"}).data

        appeal = left["leaveAppealWithoutConsideration"]["appeal"]
        assert appeal["status"] == "LEFT_WITHOUT_CONSIDERATION"
        assert appeal["withoutConsiderationReason"] == "ILLEGIBLE"

    def test_leaves_an_appeal_without_contact_details_for_no_contact(
        self, ledger: LedgerClient
    ) -> None:
        number = ledger.register(account_number(), "MAIL", contact=None)["number"]

        left = ledger.mutate("leaveAppealWithoutConsideration", {
            "appealNumber": number, "reason": "NO_CONTACT"}).data

        assert left["leaveAppealWithoutConsideration"]["appeal"]["status"] == (
            "LEFT_WITHOUT_CONSIDERATION")

    def test_refuses_no_contact_when_the_appeal_has_a_phone(self, ledger: LedgerClient) -> None:
        number = ledger.register(account_number(), "MAIL", contact={"phone": "+79001112233"})[
            "number"]
        head = ledger.head()

        refused = ledger.mutate("leaveAppealWithoutConsideration", {
            "appealNumber": number, "reason": "NO_CONTACT"})

        assert refused.code == "INVALID_TRANSITION"
        assert number in refused.error["message"]
        assert ledger.head() == head
        appeal = ledger.appeal(number)
        assert appeal is not None and appeal["status"] == "REGISTERED"

    def test_refuses_a_repeat_of_an_appeal_still_in_work(self, ledger: LedgerClient) -> None:
        account = account_number()
        earlier = ledger.register(account, "MAIL")["number"]
        repeat = ledger.register(account, "MAIL")["number"]
        head = ledger.head()

        refused = ledger.mutate("leaveAppealWithoutConsideration", {
            "appealNumber": repeat, "reason": "REPEATED", "relatedAppealNumber": earlier})

        assert refused.code == "VALIDATION"
        assert refused.error["extensions"]["field"].endswith("relatedAppealNumber")
        assert ledger.head() == head


def register_at(
    ledger: LedgerClient, account: str, received: datetime, **fields: Any
) -> dict[str, Any]:
    """Register an appeal received at a given instant."""
    return ledger.register(account, receivedAt=received.isoformat(), **fields)


def page_through(
    ledger: LedgerClient, flt: dict[str, Any], first: int
) -> list[dict[str, Any]]:
    """Every page of `appeals(filter)`, each as returned: its edges and pageInfo."""
    pages: list[dict[str, Any]] = []
    after: str | None = None
    while not pages or pages[-1]["pageInfo"]["hasNextPage"]:
        page = ledger.gql(APPEALS, {"filter": flt, "first": first, "after": after}).data
        pages.append(page["appeals"])
        after = pages[-1]["pageInfo"]["endCursor"]
        assert len(pages) <= 10, "pagination does not end"
    return pages


def numbers(connection: dict[str, Any]) -> list[str]:
    """The appeal numbers of a page, in its order."""
    return [edge["node"]["number"] for edge in connection["edges"]]


class TestAppealsQuery:
    def test_pages_through_matching_appeals_newest_first(self, ledger: LedgerClient) -> None:
        start, account, assignee = instant(), account_number(), f"e2e-{account_number()}"
        registered = [register_at(ledger, account, start + timedelta(minutes=i))["number"]
                      for i in range(5)]
        for number in registered:
            ledger.succeed("assignAppeal", {"appealNumber": number, "assignee": assignee})

        pages = page_through(ledger, {"assignee": assignee}, first=2)

        assert [len(p["edges"]) for p in pages] == [2, 2, 1]
        assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
        seen = [number for page in pages for number in numbers(page)]
        assert seen == list(reversed(registered))
        received = [datetime.fromisoformat(e["node"]["receivedAt"])
                    for page in pages for e in page["edges"]]
        assert received == sorted(received, reverse=True)

    def test_filters_by_status_channel_and_type(self, ledger: LedgerClient) -> None:
        start, account = instant(), account_number()
        window = {"receivedFrom": start.isoformat(),
                  "receivedTo": (start + timedelta(hours=1)).isoformat()}
        complaint = register_at(ledger, account, start, channel="EMAIL", type="COMPLAINT")
        inquiry = register_at(ledger, account, start + timedelta(minutes=1), channel="PHONE",
                              type="INQUIRY")
        chat = register_at(ledger, account, start + timedelta(minutes=2), channel="CHAT",
                           type="COMPLAINT")
        ledger.succeed("assignAppeal", {"appealNumber": chat["number"], "assignee": "x"})

        by_status = page_through(ledger, window | {"status": ["ASSIGNED"]}, first=50)
        by_channel = page_through(ledger, window | {"channel": ["EMAIL", "PHONE"]}, first=50)
        by_type = page_through(ledger, window | {"type": ["COMPLAINT"], "status": ["REGISTERED"]},
                               first=50)

        assert numbers(by_status[0]) == [chat["number"]]
        assert numbers(by_channel[0]) == [inquiry["number"], complaint["number"]]
        assert numbers(by_type[0]) == [complaint["number"]]

    def test_received_from_is_inclusive_and_received_to_exclusive(
        self, ledger: LedgerClient
    ) -> None:
        start, account = instant(), account_number()
        before, at_start, inside, at_end = (
            register_at(ledger, account, start + timedelta(minutes=m))["number"]
            for m in (-1, 0, 30, 60))
        window = {"receivedFrom": start.isoformat(),
                  "receivedTo": (start + timedelta(minutes=60)).isoformat()}

        page = page_through(ledger, window, first=50)[0]

        assert numbers(page) == [inside, at_start]
        assert before not in numbers(page) and at_end not in numbers(page)

    def test_filters_by_assignee(self, ledger: LedgerClient) -> None:
        account, assignee = account_number(), f"e2e-{account_number()}"
        mine = ledger.register(account)["number"]
        theirs = ledger.register(account)["number"]
        ledger.succeed("assignAppeal", {"appealNumber": mine, "assignee": assignee})
        ledger.succeed("assignAppeal", {"appealNumber": theirs, "assignee": "someone"})

        page = page_through(ledger, {"assignee": assignee}, first=50)[0]

        assert numbers(page) == [mine]
        assert page["edges"][0]["node"]["assignee"] == assignee
