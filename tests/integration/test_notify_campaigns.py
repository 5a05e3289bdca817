"""Campaigns on real PostgreSQL: the window and the hours, cancel, results and the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest

from adapters.bootstrap import Services
from adapters.notify.campaign_runner import CampaignRunner
from adapters.notify.service import campaign_desk
from adapters.settings import load_settings
from domain.campaign_commands import AllowedHours, CreateCampaign
from domain.notification_values import NotificationChannel as C
from projections.campaign_queries import read_campaign, read_results, read_skipped, tally
from tests.integration.notify_support import (
    ALWAYS,
    SmsProvider,
    dispatcher,
    project,
    reachable_by,
)
from tests.integration.sla_support import MSK, new_account, services_on, sla_database

pytestmark = pytest.mark.integration

START = datetime(2031, 3, 4, 10, 0, tzinfo=MSK)
"""A Tuesday morning, in the window of every campaign below."""


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    with sla_database(pg_server_url, f"ledger_notify_campaigns_{run_id}") as url, services_on(
            url) as built:
        yield built


class Clock:
    """The moment the runner and the dispatcher see; tests move it."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def campaign(services: Services, accounts: list[str], start: datetime = START,
             hours: int = 3) -> UUID:
    """A started debt campaign by SMS to the accounts, in a window of `hours` from `start`."""
    command = msgspec.convert({
        "name": "Долги", "template": "debt", "channel": "sms", "windowStart": start.isoformat(),
        "windowEnd": (start + timedelta(hours=hours)).isoformat(),
        "recipients": [{"accountNumber": a, "values": {"name": "Клиент", "debt": "100"}}
                       for a in accounts]}, CreateCampaign)
    desk, campaign_id = campaign_desk(services, load_settings()), uuid4()
    desk.create(command, campaign_id, "supervisor", start - timedelta(days=1))
    desk.start(campaign_id, "supervisor", start - timedelta(days=1))
    return campaign_id


def clients(services: Services, count: int) -> list[str]:
    accounts = [new_account() for _ in range(count)]
    for account in accounts:
        reachable_by(services, account, C.SMS, mobile=f"+7900{account[:7]}")
    return accounts


def runner(services: Services, clock: Clock, hours: AllowedHours = ALWAYS) -> CampaignRunner:
    return CampaignRunner(services.pool, campaign_desk(services, load_settings()),
                          services.calendar, hours, clock)


def settle(run: CampaignRunner, services: Services) -> None:
    while run.scan():
        project(services)
    project(services)


class TestWindow:
    async def test_nothing_is_requested_or_sent_before_the_window(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START - timedelta(minutes=1))
        campaign_id = campaign(services, clients(services, 3))
        project(services)

        settle(runner(services, clock), services)
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()

        assert tally_of(services, campaign_id) == {}
        assert provider.received == []

    async def test_inside_the_window_every_recipient_gets_one_message(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock, accounts = Clock(START), clients(services, 3)
        campaign_id = campaign(services, [*accounts, "5550000001"])
        project(services)
        run = runner(services, clock)

        settle(run, services)
        settle(run, services)
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()

        assert tally_of(services, campaign_id) == {"sent": 3}
        ours = [r for r in provider.received if any(a in r["text"] for a in accounts)]
        assert sorted(r["to"] for r in ours) == sorted(f"+7900{a[:7]}" for a in accounts)
        assert "задолженность 100 руб." in ours[0]["text"]
        with services.pool.connection() as conn:
            assert read_skipped(conn, campaign_id, 10) == [
                ("5550000001", "account 5550000001 not found")]

    async def test_outside_the_allowed_hours_nothing_goes_out(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START.replace(hour=22))
        campaign_id = campaign(services, clients(services, 2), START.replace(hour=20))
        project(services)
        evening = AllowedHours.parse("09:00-21:00")

        settle(runner(services, clock, evening), services)
        await dispatcher(services, {C.SMS: provider.gateway()}, clock, evening).step()

        assert tally_of(services, campaign_id) == {}
        assert provider.received == []

    async def test_what_is_not_sent_by_the_end_of_the_window_is_not_sent(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START)
        campaign_id = campaign(services, clients(services, 2))
        project(services)
        run = runner(services, clock)
        settle(run, services)
        provider.mode = "down"
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()

        clock.at = START + timedelta(hours=3)
        settle(run, services)
        provider.mode = "ok"
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()

        assert tally_of(services, campaign_id) == {"not_sent": 2}
        assert provider.received == []
        with services.pool.connection() as conn:
            found = read_campaign(conn, campaign_id)
        assert found is not None and found.status == "finished"


class TestCancel:
    async def test_a_cancelled_campaign_sends_nothing_more(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START)
        campaign_id = campaign(services, clients(services, 2))
        project(services)
        run = runner(services, clock)
        settle(run, services)

        campaign_desk(services, load_settings()).cancel(campaign_id, "supervisor", START)
        project(services)
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()
        settle(run, services)

        assert provider.received == []
        assert tally_of(services, campaign_id) == {"not_sent": 2}


class TestNeverReached:
    async def test_recipients_never_asked_for_before_the_cancel_are_not_sent(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START)
        campaign_id = campaign(services, clients(services, 3))
        campaign_desk(services, load_settings()).cancel(campaign_id, "supervisor", START)
        project(services)

        settle(runner(services, clock), services)
        await dispatcher(services, {C.SMS: provider.gateway()}, clock).step()

        assert provider.received == []
        assert tally_of(services, campaign_id) == {"not_sent": 3}
        assert reasons(services, campaign_id) == {"campaign cancelled"}
        assert figures(services, campaign_id) == (3, 3, 0)

    async def test_recipients_never_asked_for_by_the_end_of_the_window_are_not_sent(
        self, services: Services, provider: SmsProvider
    ) -> None:
        clock = Clock(START)
        campaign_id = campaign(services, clients(services, 2))
        project(services)
        closed = AllowedHours.parse("00:00-01:00")  # the window passes outside the hours
        run = runner(services, clock, closed)
        settle(run, services)

        clock.at = START + timedelta(hours=3)
        settle(run, services)

        assert tally_of(services, campaign_id) == {"not_sent": 2}
        assert reasons(services, campaign_id) == {"campaign window ended"}
        assert figures(services, campaign_id) == (2, 2, 0)


def reasons(services: Services, campaign_id: UUID) -> set[str | None]:
    """Why the campaign's notifications were not sent."""
    with services.pool.connection() as conn:
        return {r.reason for r in read_results(conn, campaign_id, None, 100, None)}


def figures(services: Services, campaign_id: UUID) -> tuple[int, int, int]:
    """Recipients, requested and skipped, as the campaign's progress counts them."""
    with services.pool.connection() as conn:
        found = read_campaign(conn, campaign_id)
    assert found is not None
    return found.recipients, found.requested, found.skipped


class TestCommandLine:
    def test_a_list_too_big_for_a_request_is_created_and_started_from_a_file(
        self, services: Services, tmp_path: Path
    ) -> None:
        recipients = [{"accountNumber": a, "values": {"name": "Клиент", "debt": "1"}}
                      for a in clients(services, 3)]

        result = create_from_file(services, tmp_path, {"recipients": recipients})

        assert result.returncode == 0, result.stderr
        with services.pool.connection() as conn:
            project(services)
            found = read_campaign(conn, UUID(result.stdout.strip()))
        assert found is not None and (found.status, found.recipients) == ("running", 3)

    def test_a_refused_file_exits_2_naming_the_field(
        self, services: Services, tmp_path: Path
    ) -> None:
        result = create_from_file(services, tmp_path, {"template": "nope"})

        assert result.returncode == 2
        assert "unknown template 'nope'" in result.stderr


def create_from_file(services: Services, folder: Path, changes: dict[str, Any]) -> (
        subprocess.CompletedProcess[str]):
    """`ledger campaign create FILE --start` against the tests' database."""
    body = {"name": "Долги", "template": "debt", "channel": "sms",
            "windowStart": START.isoformat(), "windowEnd": (START + timedelta(hours=3)).isoformat(),
            "recipients": [{"accountNumber": "1234567890", "values": {"name": "К", "debt": "1"}}],
            } | changes
    path = folder / "campaign.json"
    path.write_text(json.dumps(body, ensure_ascii=False))
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "campaign", "create", str(path), "--start"],
        env=os.environ | {"LEDGER_DATABASE_URL": services.url}, capture_output=True, text=True,
        timeout=120, check=False)


def tally_of(services: Services, campaign_id: UUID) -> dict[str, int]:
    project(services)
    with services.pool.connection() as conn:
        return tally(conn, campaign_id).by_status
