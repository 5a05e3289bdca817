"""Helpers of the audit tests: a scripted history, private databases, the chain brought level."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import psycopg
from psycopg import sql

from adapters.bootstrap import Services, build, prepare_database
from adapters.chain import ChainFollower
from adapters.checkpoint_check import Anchor
from adapters.embedded import create_database
from adapters.follower import LogFollower
from adapters.nats.checkpoints import published_anchor
from adapters.nats.publisher import NatsEventPublisher
from adapters.nats.streams import Subjects, connect, ensure_streams
from adapters.settings import Settings, load_settings
from domain import commands as c
from domain.values import AppealType, Channel, Contact, Direction

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
EVENTS_TABLE = "ledger_events"
TABLE = sql.Identifier("public", EVENTS_TABLE)
"""The events table as queries name it."""


def settings() -> Settings:
    """The environment's settings, with checkpoints only when a test asks for one."""
    return replace(load_settings(), checkpoint_every_events=10**9, checkpoint_seconds=10**9)


def fresh_account() -> str:
    """An account number no other test uses."""
    return str(random.randrange(10**11, 10**12))


def history(services: Services, account: str) -> list[datetime]:
    """A contact, an appeal assigned, extended, answered and closed; the store time after each
    step (the events' own store times fall between these moments)."""
    moments = []

    def run(command: c.Command, actor: str = "operator-1") -> str | None:
        outcome = services.ledger.execute(command, actor, T0)
        time.sleep(0.005)
        moments.append(datetime.now(UTC))
        time.sleep(0.005)
        return outcome.appeal_number

    run(c.RecordInteraction(account_number=account, channel=Channel.PHONE,
                            direction=Direction.INBOUND, occurred_at=T0,
                            summary="Спросил о счёте", operator="operator-1"))
    number = run(c.RegisterAppeal(
        account_number=account, channel=Channel.MAIL, type=AppealType.COMPLAINT,
        received_at=T0 + timedelta(hours=1), subject="Счёт за февраль",
        text="Прошу пересчитать", contact=Contact(email="client@example.ru"),
        reply_channel=Channel.EMAIL))
    assert number is not None
    at = T0 + timedelta(days=1)
    run(c.AssignAppeal(appeal_number=number, assignee="petrova", at=at), "supervisor")
    run(c.ExtendAppeal(appeal_number=number, reason="Запрос в сетевую", at=at), "petrova")
    run(c.AnswerAppeal(appeal_number=number, channel=Channel.EMAIL, text="Пересчитано", at=at),
        "petrova")
    run(c.CloseAppeal(appeal_number=number, note="Готово", at=at), "petrova")
    return moments


def chain_level(services: Services) -> ChainFollower:
    """Chain the whole log, checkpoint it, and chain the checkpoint itself."""
    follower = services.chain_follower(settings())
    follower.catch_up()
    follower.checkpoint()
    follower.catch_up()
    return follower


@contextmanager
def built(url: str) -> Iterator[Services]:
    """The ledger on a database, prepared; closed afterwards."""
    prepare_database(url)
    services = build(url, settings(), pool_size=4)
    try:
        yield services
    finally:
        services.close()


@contextmanager
def private_database(server_url: str, name: str, template: str | None = None) -> Iterator[str]:
    """A database of its own (a copy of `template` if given), dropped at the end."""
    if template is None:
        url = create_database(server_url, name)
    else:
        _copy(server_url, template, name)
        url = create_database(server_url, name)
    try:
        yield url
    finally:
        drop_database(server_url, name)


def _copy(server_url: str, template: str, name: str, attempts: int = 50) -> None:
    """CREATE DATABASE ... TEMPLATE, once the template's last pooled connection has gone."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        for attempt in range(attempts):
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                         " WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
            try:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(name), sql.Identifier(template)))
                return
            except psycopg.errors.ObjectInUse:
                if attempt == attempts - 1:
                    raise
                time.sleep(0.1)


def drop_database(server_url: str, name: str) -> None:
    """Drop a database, closing whatever still uses it."""
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


async def publish_log(url: str, nats_url: str, subjects: Subjects) -> Anchor:
    """Publish the whole log as `ledger serve` does, and read back the last checkpoint."""
    client = await connect(nats_url, name="chain-test")
    js = client.jetstream()
    own = settings()
    await ensure_streams(js, subjects, own)
    try:
        with built(url) as services:
            follower = LogFollower(services.ledger, url)
            services.followers.append(follower)  # closed with them (its LISTEN outlived the db)
            publisher = NatsEventPublisher(services.pool, follower, js, subjects)
            while await publisher.step():
                pass
        anchor = await published_anchor(nats_url, subjects)
    finally:
        for stream in (subjects.stream, subjects.ingest_stream, subjects.dlq_stream):
            await js.delete_stream(stream)
        await client.close()
    assert anchor is not None
    return anchor
