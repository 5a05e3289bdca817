"""Bulk rebuilds on a real PostgreSQL: every read model rebuilt a page at a time (COPY, keys
loaded per page) holds exactly what the live follower wrote event by event, with personal
data, an erased account and pages that split an account's history; a lost key still fails."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from eventsourcing.persistence import MapperDeserialisationError
from psycopg import sql

from adapters.bootstrap import Services
from adapters.bulk_rebuild import BulkRebuild
from adapters.follower import LogFollower
from adapters.notify.campaign_runner import CampaignRunner
from adapters.notify.service import campaign_desk
from adapters.personal_data import cli_reader
from adapters.projector import Projector, position_of
from adapters.settings import load_settings
from domain import notification_commands as n
from domain.campaign_commands import CreateCampaign
from domain.identity import account_stream_id
from domain.notification_values import NotificationChannel as C
from domain.notification_values import (
    NotificationKind,
    ReceiptOutcome,
    Trigger,
    notification_id,
)
from domain.unidentified import UnidentifiedContact
from domain.unidentified_commands import (
    LinkContact,
    RecordUnidentifiedInteraction,
    unidentified_interaction,
)
from tests.integration.notify_support import ALWAYS, reachable_by
from tests.integration.pd_support import T0, erase_now, history, ledger_services, new_account
from tests.integration.sla_support import sla_database
from tests.integration.test_personal_data import key_lost

pytestmark = pytest.mark.integration

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture(scope="module")
def services(pg_server_url: str, run_id: str) -> Iterator[Services]:
    """A log with personal data, an erasure, audited reads, notifications and a campaign, in a
    database of its own (campaign streams name no account, which other modules count on)."""
    with sla_database(pg_server_url, f"ledger_bulk_{run_id}") as url, \
            ledger_services(url) as built:
        kept, erased = new_account(), new_account()
        history(built, kept)
        history(built, erased)
        built.audit.record(cli_reader(f"account:{kept}"), {kept: {"AppealRegistered.subject"}})
        notified(built, kept)
        erase_now(built, erased)
        history(built, erased)  # written again after the erasure, under a new key
        started_campaign(built, [kept, "9999999999"])
        linked_caller(built, [erased, kept])
        yield built


def linked_caller(services: Services, accounts: list[str]) -> None:
    """An unidentified caller's contact, linked to one account and then corrected to another."""
    caller = UnidentifiedContact(phone="+79005554433")
    services.ledger.execute(msgspec.convert(unidentified_interaction(
        caller, channel="phone", direction="inbound", occurredAt=T0.isoformat(),
        summary="Звонок без номера счёта"), RecordUnidentifiedInteraction), "operator-1", T0)
    for account in accounts:
        services.ledger.execute(LinkContact(contact_ref=caller.ref(), account_number=account),
                                "operator-1", T0)


def notified(services: Services, account: str) -> None:
    """A notification requested, sent and delivered."""
    reachable_by(services, account, C.SMS, mobile="+79001112233")
    trigger = Trigger(rule="meter.verification", ref="M-1")
    services.ledger.execute(n.RequestNotification(
        account_number=account, kind=NotificationKind.VERIFICATION_REMINDER,
        channels=(C.SMS,), trigger=trigger, subject="Поверка", text="Срок поверки истекает",
        at=T0), "operator-1", T0)
    notification = notification_id(account_stream_id(account), trigger)
    for step in (n.RecordNotificationSent(account_number=account, notification_id=notification,
                                          at=T0, gateway_message_id="sms-1"),
                 n.RecordReceipt(account_number=account, notification_id=notification,
                                 at=T0, outcome=ReceiptOutcome.DELIVERED)):
        services.ledger.execute(step, "gateway", T0)


def started_campaign(services: Services, accounts: list[str]) -> None:
    """A campaign by SMS, started, its first chunk requested (one recipient is unknown)."""
    command = msgspec.convert({
        "name": "Долги", "template": "debt", "channel": "sms", "windowStart": T0.isoformat(),
        "windowEnd": (T0 + timedelta(hours=3)).isoformat(),
        "recipients": [{"accountNumber": a, "values": {"name": "Клиент", "debt": "100"}}
                       for a in accounts]}, CreateCampaign)
    desk, campaign_id = campaign_desk(services, load_settings()), uuid4()
    desk.create(command, campaign_id, "supervisor", T0 - timedelta(days=1))
    desk.start(campaign_id, "supervisor", T0 - timedelta(days=1))
    services.projector("campaigns").catch_up()
    CampaignRunner(services.pool, desk, services.calendar, ALWAYS,
                   lambda: T0 + timedelta(minutes=1)).scan()  # a chunk, with the skipped


def rows_of(services: Services, query: str, params: tuple[Any, ...] = ()) -> list[Any]:
    with services.pool.connection() as conn:
        return conn.execute(query, params).fetchall()


def snapshot(services: Services, name: str) -> Snapshot:
    """Every row of the read model's tables, sorted."""
    tables = services.projections[name].tables
    return {t: sorted(map(tuple, rows_of(services, sql.SQL("SELECT * FROM {}").format(
        sql.Identifier(t)).as_string()))) for t in tables}  # fmt: skip


def live(services: Services, name: str) -> Snapshot:
    """The read model as the live follower writes it: event by event, from the start."""
    projector = services.projector(name)  # its follower is closed with the services
    projector.reset()
    projector.catch_up()
    return snapshot(services, name)


def bulk(services: Services, name: str, page: int) -> Snapshot:
    follower = LogFollower(services.ledger, services.url)
    projection = services.projections[name]
    Projector(services.pool, follower, projection).reset()
    services.keys.forget()
    BulkRebuild(services.pool, follower, projection, page).catch_up()
    return snapshot(services, name)


def head(services: Services) -> int:
    return services.ledger.recorder.max_notification_id() or 0


class TestBulkRebuild:
    @pytest.mark.parametrize("page", [3, 5000])
    @pytest.mark.parametrize("name", ["timeline", "appeal_status", "sla_timers", "pd_audit",
                                      "notifications", "campaigns", "contact_links",
                                      "campaign_recipients"])
    def test_a_bulk_rebuild_equals_the_live_read_model(
        self, services: Services, name: str, page: int
    ) -> None:
        expected = live(services, name)

        rebuilt = bulk(services, name, page)

        assert all(expected.values()), expected  # the log gives every table rows
        assert rebuilt == expected
        assert position_of(services.pool, name) == head(services)

    def test_the_erased_account_reads_erased_after_a_bulk_rebuild(
        self, services: Services
    ) -> None:
        rebuilt = bulk(services, "timeline", 4)

        summaries = [r[7] for r in rebuilt["timeline_entries"] if r[3] == "AppealRegistered"]
        assert "Обращение зарегистрировано: [erased]" in summaries
        assert any("Иванов" in s for s in summaries)  # the kept account and the later appeal

    def test_a_lost_key_fails_the_rebuild_instead_of_reading_as_erased(
        self, services: Services
    ) -> None:
        ((account,),) = rows_of(services, "SELECT account_number FROM timeline_entries"
                                " WHERE summary LIKE %s LIMIT 1", ("%Иванов%",))

        with key_lost(services, account_stream_id(account)), pytest.raises(
                MapperDeserialisationError, match="no data key"):
            bulk(services, "timeline", 5000)
