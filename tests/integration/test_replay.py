"""As-of replay on a real PostgreSQL: a scripted history seen at several moments, by store time,
and stored events of an older shape upcast on read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

import msgspec
import psycopg
import pytest
from eventsourcing.domain import Aggregate, event

from adapters.bootstrap import Services
from domain.account import Account
from domain.identity import account_stream_id
from domain.replay import AccountState, replay_until
from domain.values import AccountKind, AppealStatus, Channel, Direction
from tests.integration.audit_support import (
    EVENTS_TABLE,
    built,
    fresh_account,
    history,
    private_database,
)

pytestmark = pytest.mark.integration


class Meter(Aggregate):
    """A test aggregate whose one event gained a field in its second version."""

    class Read(Aggregate.Event):
        value: int
        unit: str

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["unit"] = "kWh"

    @event(Read)
    def read(self, value: int, unit: str) -> None:
        self.value, self.unit = value, unit


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    """A database of this module's own: its log holds streams that are not accounts
    (a test aggregate), which other modules' read-model tests do not expect."""
    with private_database(pg_server_url, f"ledger_replay_{run_id}") as url, built(url) as ready:
        yield ready


@pytest.fixture(scope="module")
def scripted(services: Services) -> tuple[str, list[datetime]]:
    account = fresh_account()
    return account, history(services, account)


def as_of(services: Services, account: str, **cut: Any) -> AccountState | None:
    events = services.ledger.repository.event_store.get(account_stream_id(account))
    return replay_until(events, **cut)


def store_old_shape(services: Services, domain_events: Sequence[Any], drop: str) -> None:
    """Store events as an older version wrote them: without `drop` and `class_version`."""
    mapper, rows = services.ledger.mapper, []
    for domain_event in domain_events:
        stored = mapper.to_stored_event(domain_event)
        state = msgspec.json.decode(stored.state)
        state.pop(drop, None)
        state.pop("class_version", None)
        rows.append((stored.originator_id, stored.originator_version, stored.topic,
                     msgspec.json.encode(state)))
    with psycopg.connect(services.url) as conn, conn.cursor() as cur:
        cur.executemany(f"INSERT INTO {EVENTS_TABLE} (originator_id, originator_version, topic,"
                        " state) VALUES (%s, %s, %s, %s)", rows)


class TestAsOf:
    def test_each_moment_shows_what_the_ledger_knew_then(
        self, services: Services, scripted: tuple[str, list[datetime]]
    ) -> None:
        account, moments = scripted

        states = [as_of(services, account, at=moment) for moment in moments]

        assert all(s is not None for s in states)
        seen = [(s.version, len(s.interactions), [(a.status, a.assignee, a.extended)
                                                  for a in s.appeals]) for s in states if s]
        assert seen == [
            (2, 1, []),
            (3, 1, [(AppealStatus.REGISTERED, None, False)]),
            (4, 1, [(AppealStatus.ASSIGNED, "petrova", False)]),
            (5, 1, [(AppealStatus.ASSIGNED, "petrova", True)]),
            (6, 1, [(AppealStatus.ANSWERED, "petrova", True)]),
            (7, 1, [(AppealStatus.CLOSED, "petrova", True)]),
        ]

    def test_before_the_first_event_the_account_was_unknown(
        self, services: Services, scripted: tuple[str, list[datetime]]
    ) -> None:
        account, moments = scripted

        state = as_of(services, account, at=moments[0] - timedelta(hours=1))

        assert state is None

    def test_a_version_cut_agrees_with_the_librarys_own_replay(
        self, services: Services, scripted: tuple[str, list[datetime]]
    ) -> None:
        account, _ = scripted

        ours = as_of(services, account, version=4)
        library: Account = services.ledger.repository.get(account_stream_id(account), version=4)

        assert ours is not None
        assert [(a.number, a.status, a.assignee) for a in ours.appeals] == [
            (a.number, a.status, a.assignee) for a in library.appeals.values()]

    def test_the_command_line_prints_the_state_and_its_events(
        self, services: Services, scripted: tuple[str, list[datetime]]
    ) -> None:
        account, moments = scripted
        env = os.environ | {"LEDGER_DATABASE_URL": services.url}

        done = subprocess.run(
            [sys.executable, "-m", "api.cli", "replay", account, "--as-of",
             moments[2].isoformat()], env=env, capture_output=True, text=True, check=True)

        printed = json.loads(done.stdout)
        assert printed["state"]["appeals"][0]["status"] == "assigned"
        assert [e["type"] for e in printed["events"]] == [
            "Opened", "InteractionRecorded", "AppealRegistered", "AppealAssigned"]
        # registered Monday, assigned Tuesday: in term; the letter's answer and the call's
        # survey were overdue long before this run, though no clock recorded it
        assert {t["kind"]: t["state"] for t in printed["state"]["timers"]} == {
            "survey.send": "breached", "written.registration": "met",
            "written.answer": "breached"}


class TestOldShapes:
    def test_a_contact_stored_before_call_backs_is_read_with_none_agreed(
        self, services: Services
    ) -> None:
        account = Account(number=fresh_account(), kind=AccountKind.INDIVIDUAL)
        account.record_interaction(channel=Channel.PHONE, direction=Direction.INBOUND,
                                   occurred_at=datetime.now().astimezone(), summary="Звонок",
                                   operator=None, external_id=None, meter_reading=None,
                                   recorded_by="operator-1")
        store_old_shape(services, account.collect_events(), drop="callback_at")

        state = as_of(services, account.number)

        assert state is not None
        assert [i.callback_at for i in state.interactions] == [None]

    def test_an_event_of_version_one_is_upcast_to_version_two(
        self, services: Services
    ) -> None:
        meter = Meter()
        meter.read(value=42, unit="ignored")
        store_old_shape(services, meter.collect_events(), drop="unit")

        found: Meter = services.ledger.repository.get(meter.id)

        assert (found.value, found.unit) == (42, "kWh")

