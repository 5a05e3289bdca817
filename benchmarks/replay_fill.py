"""Fills a scratch event store fast for the replay benchmark: real account histories made by the
aggregate, mapped by the ledger's mapper, written with one binary COPY (no table lock needed:
the benchmark is the only writer)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import Mapper
from psycopg import sql

from adapters.embedded import EmbeddedPostgres, create_database, reachable
from domain.account import Account
from domain.values import AccountKind, AppealType, Channel, Contact, Direction

LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)
TEXT = "Прошу пересчитать начисления за февраль: показания переданы вовремя, счёт завышен."


def account_history(number: str, serial: int) -> list[Any]:
    """Nine events: opened, three contacts, an appeal through its whole lifecycle."""
    account = Account(number=number, kind=AccountKind.INDIVIDUAL)
    for hour in range(3):
        account.record_interaction(
            channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=NOW + timedelta(hours=hour), summary=TEXT[:60], operator="operator-7",
            external_id=None, meter_reading=None, recorded_by="operator-7")
    appeal = f"2024-{serial:07d}"
    account.register_appeal(
        appeal_number=appeal, form=None, channel=Channel.MAIL, appeal_type=AppealType.COMPLAINT,
        received_at=NOW, subject="Перерасчёт", text=TEXT,
        contact=Contact(name="Иванова А. П.", email="client@example.ru"),
        reply_channel=Channel.EMAIL, external_id=None, registered_by="operator-7")
    at = NOW + timedelta(days=1)
    account.assign_appeal(appeal, "petrova", at, "supervisor")
    account.extend_appeal(appeal, "Запрос в сетевую организацию", at, "petrova")
    account.answer_appeal(appeal, Channel.EMAIL, TEXT, at, "petrova")
    account.close_appeal(appeal, "Клиент доволен", at, "petrova")
    return list(account.collect_events())


def fill(url: str, table: sql.Composable, mapper: Mapper[Any], events: int,
         progress: Callable[[int], object]) -> int:
    """Write about `events` events (whole histories); returns how many were written."""
    written = 0
    with psycopg.connect(url) as conn, conn.cursor() as cur, cur.copy(sql.SQL(
        "COPY {} (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
    ).format(table)) as copy:
        copy.set_types(["uuid", "bigint", "text", "bytea"])
        for row in _rows(mapper, events):
            copy.write_row(row)
            written += 1
            if written % 10_000 == 0:
                progress(10_000)
    return written


def _rows(mapper: Mapper[Any], events: int) -> Iterator[tuple[Any, ...]]:
    """Whole histories until there are at least `events` events."""
    serial = written = 0
    while written < events:
        serial += 1
        for event in account_history(str(10**9 + serial), serial):
            stored = mapper.to_stored_event(event)
            written += 1
            yield stored.originator_id, stored.originator_version, stored.topic, stored.state


@contextmanager
def scratch_database(keep: bool = False) -> Iterator[str]:
    """A fresh database on the local server, else on an embedded one; dropped unless kept."""
    name = f"ledger_bench_replay_{os.getpid()}"
    if not reachable("127.0.0.1", 5432):
        folder = tempfile.mkdtemp(prefix="ledger-bench-", dir="/tmp")
        try:
            with EmbeddedPostgres(Path(folder)) as server:
                yield server.create_database(name)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        yield create_database(LOCAL_SERVER, name)
    finally:
        if not keep:
            with psycopg.connect(LOCAL_SERVER, autocommit=True) as admin:
                admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(name)))
