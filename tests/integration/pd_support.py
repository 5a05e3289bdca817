"""What the personal-data integration tests share: a history with personal data, erasing it,
and reading what the log and the read models hold of an account."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

from psycopg.rows import dict_row

from adapters.bootstrap import Services, build, prepare_database
from adapters.personal_data import erase
from adapters.settings import load_settings
from domain import commands as c
from domain.identity import account_stream_id
from domain.values import AppealType, Channel, Contact, Direction


@contextmanager
def ledger_services(url: str) -> Iterator[Services]:
    """The ledger on a database; projections are caught up by each test."""
    prepare_database(url)
    built = build(url, load_settings(), pool_size=4)
    try:
        yield built
    finally:
        built.close()


MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
SECRET = "Иванов Иван, паспорт 1234"
READ_MODELS = ("timeline", "appeal_status", "pd_audit")


def new_account() -> str:
    return f"{random.randrange(10**9, 10**10)}"


def history(services: Services, account: str) -> str:
    """An appeal with a contact, answered, and a call: personal data in four events."""
    outcome = services.committer.execute(c.RegisterAppeal(
        account_number=account, channel=Channel.MAIL, type=AppealType.COMPLAINT,
        received_at=T0, subject=f"Тема: {SECRET}", text=f"Текст: {SECRET}",
        contact=Contact(name=SECRET, phone="+79001112233")), "operator-1", T0)
    number = outcome.appeal_number
    assert number is not None
    services.committer.execute(c.AnswerAppeal(
        appeal_number=number, channel=Channel.MAIL, text=f"Ответ: {SECRET}"), "op", T0)
    services.committer.execute(c.RecordInteraction(
        account_number=account, channel=Channel.PHONE, direction=Direction.INBOUND,
        occurred_at=T0, summary=f"Звонок: {SECRET}"), "operator-1", T0)
    return number


def catch_up(services: Services) -> None:
    for name in READ_MODELS:
        services.projector(name).catch_up()


def erase_now(services: Services, account: str, ground: str = "152-ФЗ ст. 21 ч. 5") -> int:
    command = c.ErasePersonalData(account_number=account, ground=ground)
    return erase(services.ledger, services.committer, services.keys, command, "admin-1").position


def stored_states(services: Services, account: str) -> list[bytes]:
    with services.pool.connection() as conn:
        rows = conn.execute("SELECT state FROM ledger_events WHERE originator_id = %s"
                            " ORDER BY originator_version", (account_stream_id(account),))
        return [bytes(r[0]) for r in rows]


def read_models(services: Services, account: str) -> dict[str, list[dict[str, Any]]]:
    """Every row the read models hold of the account."""
    with services.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        timeline = cur.execute("SELECT * FROM timeline_entries WHERE account_number = %s"
                               " ORDER BY position", (account,)).fetchall()
        appeals = cur.execute("SELECT * FROM appeal_status_appeals WHERE account_number = %s"
                              " ORDER BY appeal_number", (account,)).fetchall()
        steps = cur.execute(
            "SELECT h.* FROM appeal_status_history h JOIN appeal_status_appeals a"
            " USING (appeal_number) WHERE a.account_number = %s ORDER BY position",
            (account,)).fetchall()
    return {"timeline": timeline, "appeals": appeals, "history": steps}
