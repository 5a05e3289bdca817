"""What the SLA integration tests share: a database of their own, and short ways to act and look.

The SLA clock scans every timer of its database, so these tests run on a database of their
own (on the suite's PostgreSQL server) and never touch the accounts of other tests.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from adapters.bootstrap import Services, build, prepare_database
from adapters.embedded import create_database
from adapters.settings import load_settings
from domain import commands as c
from domain.identity import account_stream_id
from domain.values import AppealType, Channel, Contact, Direction
from projections.sla_timer_queries import TimerView, read_appeal_timers

MSK = ZoneInfo("Europe/Moscow")
OPERATOR = "operator-1"


@contextmanager
def sla_database(server_url: str, name: str) -> Iterator[str]:
    """A fresh database `name` with the ledger's schema, dropped afterwards."""
    url = create_database(server_url, name)
    prepare_database(url)
    try:
        yield url
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


@contextmanager
def services_on(url: str, pool_size: int = 8) -> Iterator[Services]:
    """A worker of the ledger on the database: its own ledger, cache, pool and committer."""
    services = build(url, load_settings(), pool_size=pool_size)
    try:
        yield services
    finally:
        services.close()


def new_account() -> str:
    return f"{random.randrange(10**9, 10**10)}"


def now() -> datetime:
    return datetime.now(UTC)


def register(
    services: Services, account: str, received: datetime, channel: Channel = Channel.MAIL,
    appeal_type: AppealType = AppealType.STATEMENT,
) -> str:
    """Register an appeal received at a moment; its number."""
    command = c.RegisterAppeal(
        account_number=account, channel=channel, type=appeal_type, received_at=received,
        subject="Перерасчёт", text="Прошу пересчитать счёт за март",
        contact=Contact(name="Иванов", phone="+79990000000"),
    )
    number = services.ledger.execute(command, OPERATOR, now()).appeal_number
    assert number is not None
    return number


def act(services: Services, command: c.Command) -> None:
    """Run one command as the operator."""
    services.ledger.execute(command, OPERATOR, now())


def contact(
    account: str, at: datetime, channel: Channel = Channel.PHONE,
    direction: Direction = Direction.INBOUND, **fields: Any,
) -> c.RecordInteraction:
    """A contact on a channel at a moment."""
    return c.RecordInteraction(
        account_number=account, channel=channel, direction=direction, occurred_at=at,
        summary="Звонок", **fields)


def catch_up(services: Services) -> None:
    """Bring the timers read model up to the log head."""
    services.projector("sla_timers").catch_up()


def timers(services: Services, appeal_number: str) -> dict[str, TimerView]:
    """An appeal's timers by kind (the latest of each kind)."""
    with services.pool.connection() as conn:
        return {v.timer.kind: v for v in read_appeal_timers(conn, appeal_number)}


def events(services: Services, account: str) -> list[Any]:
    """Every stored event of an account, in order."""
    return list(services.ledger.repository.event_store.get(account_stream_id(account)))


def marks(services: Services, account: str) -> list[tuple[str, float | None]]:
    """(timer id, threshold or None for the breach) of every SLA mark stored for an account."""
    return [
        (e.timer_id, getattr(e, "threshold", None)) for e in events(services, account)
        if type(e).__name__ in ("SlaAtRisk", "SlaBreached")
    ]
