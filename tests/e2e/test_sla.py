"""SLA timers over HTTP: appeals registered with past receivedAt values, their deadlines, the
clock's marks, the supervisor's list and the timeliness report, as a frontend sees them."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.auth import Role
from tests.e2e.conftest import LedgerClient, account_number
from tests.e2e.sla_server import (
    appeal_timers,
    eventually,
    running_clocks,
    sla_database_url,
    sla_env,
    sla_ledger,
    sla_timers,
    timeliness,
)

pytestmark = pytest.mark.e2e
__all__ = ["sla_database_url", "sla_env", "sla_ledger"]  # the fixtures this module runs on

FRIDAY = "2026-02-20T12:00:00+03:00"
THURSDAY = "2026-06-11T12:00:00+03:00"


def register(client: LedgerClient, account: str, channel: str, kind: str, received: str) -> str:
    number: str = client.register(account, channel=channel, type=kind, receivedAt=received)[
        "number"]
    return number


def later(instant: str, **delta: float) -> str:
    return (datetime.fromisoformat(instant) + timedelta(**delta)).isoformat()


def end_of(day: str) -> str:
    """24:00 in Moscow of a day, as the API writes the instant."""
    return f"{(datetime.fromisoformat(day) + timedelta(days=1)).date()}T00:00:00+03:00"


def timers_of(client: LedgerClient, number: str, count: int) -> dict[str, dict[str, Any]]:
    return eventually(lambda: appeal_timers(client, number), lambda t: len(t) == count)


class TestDeadlines:
    @pytest.mark.parametrize(
        ("received", "registration", "answer", "extended", "written"),
        [
            (FRIDAY, "2026-02-24", "2026-02-26", "2026-03-10", "2026-03-23"),
            (THURSDAY, "2026-06-15", "2026-06-17", "2026-06-26", "2026-07-13"),
        ],
        ids=["friday-before-defender-day", "thursday-before-russia-day"],
    )
    def test_the_worked_examples_of_sla_md_come_out_exactly(
        self, sla_ledger: LedgerClient, received: str, registration: str, answer: str,
        extended: str, written: str,
    ) -> None:
        account = account_number()
        letter = register(sla_ledger, account, "EMAIL", "STATEMENT", received)
        chat = register(sla_ledger, account, "CHAT", "INQUIRY", received)
        sla_ledger.succeed("extendAppeal", {"appealNumber": chat, "reason": "Запрос в сеть",
                                            "at": later(received, hours=1)})

        found = timers_of(sla_ledger, letter, 2) | timers_of(sla_ledger, chat, 2)

        assert {k: (t["dueDate"], t["dueAt"]) for k, t in found.items()} == {
            "written.registration": (registration, end_of(registration)),
            "written.answer": (written, end_of(written)),
            "interactive.answer": (answer, end_of(answer)),
            "interactive.extended": (extended, end_of(extended)),
        }
        assert {k: t["state"] for k, t in found.items()} == {
            "written.registration": "BREACHED", "written.answer": "BREACHED",
            "interactive.answer": "CANCELLED", "interactive.extended": "BREACHED"}
        assert {t["startedAt"] for t in found.values()} == {received}

    @pytest.mark.parametrize(
        ("received", "due"),
        [
            ("2026-02-19T23:59:59+03:00", "2026-02-25"),  # the last second of Thursday
            ("2026-02-19T21:00:00+00:00", "2026-02-26"),  # already Friday in Moscow
            ("2025-10-31T12:00:00+03:00", "2025-11-06"),  # working Saturday, 3-4 Nov off
        ],
    )
    def test_three_working_days_count_in_office_time_on_the_production_calendar(
        self, sla_ledger: LedgerClient, received: str, due: str
    ) -> None:
        number = register(sla_ledger, account_number(), "CHAT", "INQUIRY", received)

        timer = timers_of(sla_ledger, number, 1)["interactive.answer"]

        assert (timer["dueDate"], timer["dueAt"]) == (due, end_of(due))


    def test_the_registration_answer_already_shows_the_timers(
        self, sla_ledger: LedgerClient
    ) -> None:
        values = {"accountNumber": account_number(), "channel": "MAIL", "type": "STATEMENT",
                  "receivedAt": THURSDAY, "subject": "Перерасчёт", "text": "Прошу пересчитать"}

        answer = sla_ledger.gql(REGISTER_WITH_TIMERS, {"input": values}).data["registerAppeal"]

        assert sorted((t["kind"], t["dueDate"]) for t in answer["appeal"]["timers"]) == [
            ("written.answer", "2026-07-13"), ("written.registration", "2026-06-15")]


REGISTER_WITH_TIMERS = """
mutation($input: RegisterAppealInput!) {
  registerAppeal(input: $input) { appeal { number timers { kind dueDate } } }
}"""


class TestClockMarks:
    def test_two_clocks_store_each_warning_and_the_breach_once(
        self, sla_ledger: LedgerClient, sla_env: dict[str, str]
    ) -> None:
        account = account_number()
        number = register(sla_ledger, account, "CHAT", "INQUIRY", FRIDAY)
        timers_of(sla_ledger, number, 1)

        with running_clocks(sla_env, count=2):
            timer = eventually(lambda: appeal_timers(sla_ledger, number), breach_recorded)
            time.sleep(1.0)  # five more ticks of each clock: nothing more may be stored

        marks = Counter(
            (e["eventType"], e["details"].get("threshold"), e["details"]["at"])
            for e in sla_ledger.timeline(account) if e["eventType"].startswith("Sla"))
        assert marks == Counter({
            ("SlaAtRisk", 0.7, "2026-02-26T02:24:00+03:00"): 1,
            ("SlaAtRisk", 0.9, "2026-02-26T16:48:00+03:00"): 1,
            ("SlaBreached", None, "2026-02-27T00:00:00+03:00"): 1,
        })
        assert timer["interactive.answer"]["state"] == "BREACHED"


def breach_recorded(timers: dict[str, dict[str, Any]]) -> bool:
    return bool(timers) and bool(timers["interactive.answer"]["breachRecorded"])


class TestSupervisorList:
    def test_lists_timers_soonest_due_first_and_filters_them(
        self, sla_ledger: LedgerClient
    ) -> None:
        account, fresh = account_number(), (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        chats = [register(sla_ledger, account, "CHAT", "INQUIRY", at)
                 for at in (THURSDAY, fresh, FRIDAY)]
        letter = register(sla_ledger, account, "EMAIL", "STATEMENT", THURSDAY)
        sla_ledger.succeed("assignAppeal", {"appealNumber": letter, "assignee": "e2e-lead",
                                            "at": later(THURSDAY, hours=1)})
        for number, count in [*((n, 1) for n in chats), (letter, 2)]:
            timers_of(sla_ledger, number, count)

        def listed(**flt: Any) -> list[tuple[str, str]]:
            page = sla_timers(sla_ledger, {"accountNumber": account, **flt})
            return [(e["node"]["appealNumber"], e["node"]["kind"]) for e in page["edges"]]

        everything = sla_timers(sla_ledger, {"accountNumber": account})["edges"]
        due = [datetime.fromisoformat(e["node"]["dueAt"]) for e in everything]
        assert due == sorted(due) and len(due) == 5
        assert listed(state=["RUNNING", "AT_RISK"],
                      dueBefore=(datetime.now(UTC) + timedelta(days=20)).isoformat()) == [
            (chats[1], "interactive.answer")]
        assert listed(channel=["EMAIL"]) == [
            (letter, "written.registration"), (letter, "written.answer")]
        assert listed(type=["INQUIRY"], state=["BREACHED"]) == [
            (chats[2], "interactive.answer"), (chats[0], "interactive.answer")]
        assert listed(assignee="e2e-lead", state=["MET"]) == [(letter, "written.registration")]

    def test_pages_follow_each_other_without_overlap(self, sla_ledger: LedgerClient) -> None:
        account = account_number()
        for day in range(3):
            register(sla_ledger, account, "EMAIL", "STATEMENT", later(FRIDAY, days=day))
        eventually(lambda: sla_timers(sla_ledger, {"accountNumber": account})["edges"],
                   lambda edges: len(edges) == 6)

        first = sla_timers(sla_ledger, {"accountNumber": account}, first=4)
        rest = sla_timers(sla_ledger, {"accountNumber": account}, first=4,
                          after=first["pageInfo"]["endCursor"])

        ids = [e["node"]["id"] for page in (first, rest) for e in page["edges"]]
        assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
        assert len(ids) == len(set(ids)) == 6

    def test_an_integration_may_not_read_the_list(self, sla_ledger: LedgerClient) -> None:
        answer = sla_ledger.gql("{ slaTimers { edges { cursor } } }", token=Role.INTEGRATION)

        assert answer.code == "FORBIDDEN"


MARCH = "2025-03-03T10:00:00+03:00"
EXPECTED_REPORT = [
    {"channel": "CHAT", "appealType": "COMPLAINT", "met": 0, "breached": 1, "open": 0,
     "cancelled": 0, "decided": 1, "share": 0.0},
    {"channel": "CHAT", "appealType": "INQUIRY", "met": 1, "breached": 1, "open": 0,
     "cancelled": 0, "decided": 2, "share": 0.5},
    {"channel": "EMAIL", "appealType": "STATEMENT", "met": 2, "breached": 0, "open": 0,
     "cancelled": 2, "decided": 2, "share": 1.0},
]


class TestTimeliness:
    def test_the_report_counts_what_the_clock_recorded(
        self, sla_ledger: LedgerClient, sla_env: dict[str, str]
    ) -> None:
        account = account_number()
        met_in_time, never_answered, answered_late, letter, not_considered = (
            register(sla_ledger, account, channel, kind, MARCH) for channel, kind in (
                ("CHAT", "INQUIRY"), ("CHAT", "INQUIRY"), ("CHAT", "COMPLAINT"),
                ("EMAIL", "STATEMENT"), ("EMAIL", "STATEMENT")))
        answer(sla_ledger, met_in_time, "CHAT", later(MARCH, days=1))
        answer(sla_ledger, answered_late, "CHAT", "2025-04-10T10:00:00+03:00")
        sla_ledger.succeed("assignAppeal", {"appealNumber": letter, "assignee": "petrova",
                                            "at": later(MARCH, hours=1)})
        answer(sla_ledger, letter, "EMAIL", "2025-03-20T10:00:00+03:00")
        sla_ledger.succeed("leaveAppealWithoutConsideration", {
            "appealNumber": not_considered, "reason": "OBSCENE", "at": later(MARCH, hours=1)})
        assert never_answered

        with running_clocks(sla_env):
            breaches = eventually(lambda: stored_breaches(sla_ledger, account),
                                  lambda n: n == 2)
        assert stored_breaches(sla_ledger, account) == breaches  # and no more once stopped
        rows = eventually(lambda: timeliness(sla_ledger, "2025-03-01", "2025-04-30"),
                          lambda r: strip(r) == EXPECTED_REPORT)

        assert breaches == sum(row["breached"] for row in rows)
        assert {(r["periodStart"], r["periodEnd"]) for r in rows} == {
            ("2025-03-01", "2025-04-30")}
        assert by_month(timeliness(sla_ledger, "2025-03-01", "2025-04-30", "MONTH")) == {
            ("2025-03-01", "CHAT", "INQUIRY"): (1, 1, 0), ("2025-03-01", "EMAIL", "STATEMENT"):
            (1, 0, 1), ("2025-04-01", "CHAT", "COMPLAINT"): (0, 1, 0),
            ("2025-04-01", "EMAIL", "STATEMENT"): (1, 0, 1)}
        assert cli_report(sla_env) == [
            ["2025-03-01..2025-04-30", "chat", "complaint", "0", "1", "0", "0", "0.0%"],
            ["2025-03-01..2025-04-30", "chat", "inquiry", "1", "1", "0", "0", "50.0%"],
            ["2025-03-01..2025-04-30", "email", "statement", "2", "0", "0", "2", "100.0%"],
        ]


def answer(client: LedgerClient, number: str, channel: str, at: str) -> None:
    client.succeed("answerAppeal", {"appealNumber": number, "channel": channel,
                                    "text": "Перерасчёт выполнен", "at": at})


def stored_breaches(client: LedgerClient, account: str) -> int:
    return sum(e["eventType"] == "SlaBreached" for e in client.timeline(account))


def strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("periodStart", "periodEnd")} for r in rows]


def by_month(rows: list[dict[str, Any]]) -> dict[tuple[str, str, str], tuple[int, int, int]]:
    return {(r["periodStart"], r["channel"], r["appealType"]):
            (r["met"], r["breached"], r["cancelled"]) for r in rows}


def cli_report(env: dict[str, str]) -> list[list[str]]:
    """`ledger sla report` against the same database: its rows, split into cells."""
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "sla", "report", "--from", "2025-03-01",
         "--to", "2025-04-30"], env=env, capture_output=True, text=True, check=True, timeout=60)
    lines = done.stdout.strip().splitlines()
    return [line.split() for line in lines[1:-1]]
