"""Read models on a real PostgreSQL: their contents, exactly-once application, rebuilds, waits."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest
from psycopg import Cursor, sql
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.bootstrap import Services, build, prepare_database
from adapters.follower import LogFollower
from adapters.projector import Projector, position_of, wait_for
from adapters.settings import load_settings
from domain import commands as c
from domain.ledger import Outcome
from domain.values import AppealType, Channel, Contact, Direction
from projections.base import LoggedEvent

pytestmark = pytest.mark.integration

MSK = timezone(timedelta(hours=3))
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=MSK)
"""A Monday morning in the office's timezone."""
READ_MODELS = ("timeline", "appeal_status")


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    """The ledger and its read models, built once for this module; nothing runs in background."""
    prepare_database(database_url)
    built = build(database_url, load_settings(), pool_size=10)
    yield built
    built.close()


@pytest.fixture
def following(services: Services) -> Iterator[None]:
    """Both read models follow the log in background threads for the length of one test."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=services.projector(name).run, args=(stop,), daemon=True)
        for name in READ_MODELS
    ]
    for thread in threads:
        thread.start()
    yield
    stop.set()
    for thread in threads:
        thread.join(timeout=10)


class AppliedEvents:
    """A read model with no key at all: an event applied twice would show as a second row."""

    def __init__(self, table: str) -> None:
        self.name = table
        self.tables = (table,)

    def apply(self, cur: Cursor[Any], logged: LoggedEvent) -> None:
        cur.execute(
            sql.SQL("INSERT INTO {} (position) VALUES (%s)").format(sql.Identifier(self.name)),
            (logged.position,),
        )


def new_account_number() -> str:
    return f"{random.randrange(10**9, 10**10)}"


def head(services: Services) -> int:
    return services.ledger.recorder.max_notification_id() or 0


def log_positions(services: Services) -> list[int]:
    notifications = services.ledger.recorder.select_notifications(start=1, limit=10**7)
    return [n.id for n in notifications]


def rows(pool: ConnectionPool, query: str | sql.Composed, *params: Any) -> list[dict[str, Any]]:
    with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(query, params).fetchall()


def snapshot(pool: ConnectionPool, tables: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of each table, ordered by its primary key."""
    taken = {}
    with pool.connection() as conn:
        for table in tables:
            key = [r[0] for r in conn.execute(
                "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                " ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                " WHERE i.indrelid = %s::regclass AND i.indisprimary"
                " ORDER BY array_position(i.indkey::int2[], a.attnum)", (table,),
            )]  # fmt: skip
            assert key, f"{table} has no primary key"
            query = sql.SQL("SELECT * FROM {} ORDER BY {}").format(
                sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, key))
            )
            taken[table] = conn.execute(query).fetchall()
    return taken


def run(services: Services, command: c.Command, actor: str = "operator-1") -> Outcome:
    """Execute through the group committer and wait until both read models show it."""
    outcome = services.committer.execute(command, actor, T0)
    for name in READ_MODELS:
        assert wait_for(services.pool, name, outcome.position, 10), name
    return outcome


class TestScriptedLifecycle:
    def test_read_models_follow_every_step(self, services: Services, following: None) -> None:
        # A client calls, then writes; the appeal is assigned, clarified, reassigned,
        # extended, answered by e-mail as the client asked, and closed.
        account = new_account_number()
        run(services, c.RecordInteraction(
            account_number=account, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=T0, summary="Клиент спросил о счёте", operator="operator-1"))
        number = run(services, c.RegisterAppeal(
            account_number=account, channel=Channel.MAIL, type=AppealType.COMPLAINT,
            received_at=T0 + timedelta(hours=1), subject="Счёт за февраль",
            text="Прошу пересчитать", contact=Contact(email="client@example.ru"),
            reply_channel=Channel.EMAIL)).appeal_number
        assert number is not None
        at = [T0 + timedelta(days=d, hours=2) for d in range(6)]
        steps: list[tuple[c.Command, str, str]] = [
            (c.AssignAppeal(appeal_number=number, assignee="petrova", at=at[0]),
             "supervisor", "assigned"),
            (c.RequestClarification(appeal_number=number, note="Уточните период", at=at[1]),
             "petrova", "awaiting_client"),
            (c.AssignAppeal(appeal_number=number, assignee="ivanov", at=at[2]),
             "supervisor", "assigned"),
            (c.ExtendAppeal(appeal_number=number, reason="Запрос в сети", at=at[3]),
             "ivanov", "assigned"),
            (c.AnswerAppeal(appeal_number=number, channel=Channel.EMAIL, text="Пересчитано",
                            at=at[4]), "ivanov", "answered"),
            (c.CloseAppeal(appeal_number=number, note="Клиент согласен", at=at[5]),
             "ivanov", "closed"),
        ]  # fmt: skip

        # Each step is visible in the appeal's status as soon as its position is reached.
        last = 0
        for command, actor, status in steps:
            last = run(services, command, actor).position
            shown = rows(services.pool, "SELECT status FROM appeal_status_appeals"
                         " WHERE appeal_number = %s", number)
            assert shown == [{"status": status}], command

        appeal = rows(services.pool, "SELECT * FROM appeal_status_appeals"
                      " WHERE appeal_number = %s", number)[0]
        assert {k: appeal[k] for k in (
            "account_number", "channel", "appeal_type", "form", "status", "reply_channel",
            "assignee", "extended", "answer_channel", "updated_position", "contact",
        )} == {
            "account_number": account, "channel": "mail", "appeal_type": "complaint",
            "form": "written", "status": "closed", "reply_channel": "email",
            "assignee": "ivanov", "extended": True, "answer_channel": "email",
            "updated_position": last, "contact": {"email": "client@example.ru"},
        }  # fmt: skip
        assert (appeal["received_at"], appeal["answered_at"], appeal["closed_at"]) == (
            T0 + timedelta(hours=1), at[4], at[5]
        )
        history = rows(services.pool, "SELECT event_type, status, actor, at"
                       " FROM appeal_status_history WHERE appeal_number = %s"
                       " ORDER BY position", number)
        assert [(h["event_type"], h["status"], h["actor"]) for h in history] == [
            ("AppealRegistered", "registered", "operator-1"),
            ("AppealAssigned", "assigned", "supervisor"),
            ("ClarificationRequested", "awaiting_client", "petrova"),
            ("AppealAssigned", "assigned", "supervisor"),
            ("AppealExtended", "assigned", "ivanov"),
            ("AppealAnswered", "answered", "ivanov"),
            ("AppealClosed", "closed", "ivanov"),
        ]
        assert [h["at"] for h in history] == [T0 + timedelta(hours=1), *at]
        timeline = rows(services.pool, "SELECT event_type, channel, appeal_number, summary,"
                        " actor, occurred_at FROM timeline_entries WHERE account_number = %s"
                        " ORDER BY position", account)
        assert [(t["event_type"], t["channel"], t["appeal_number"], t["actor"])
                for t in timeline] == [
            ("Opened", None, None, None),
            ("InteractionRecorded", "phone", None, "operator-1"),
            ("AppealRegistered", "mail", number, "operator-1"),
            ("AppealAssigned", None, number, "supervisor"),
            ("ClarificationRequested", None, number, "petrova"),
            ("AppealAssigned", None, number, "supervisor"),
            ("AppealExtended", None, number, "ivanov"),
            ("AppealAnswered", "email", number, "ivanov"),
            ("AppealClosed", None, number, "ivanov"),
        ]  # fmt: skip
        assert [t["occurred_at"] for t in timeline[1:]] == [T0, T0 + timedelta(hours=1), *at]
        assert timeline[1]["summary"] == "Клиент спросил о счёте"
        assert timeline[2]["summary"] == "Обращение зарегистрировано: Счёт за февраль"


class TestExactlyOnce:
    @pytest.fixture
    def applied(self, services: Services) -> Iterator[AppliedEvents]:
        projection = AppliedEvents(f"test_applied_{uuid4().hex[:12]}")
        with services.pool.connection() as conn:
            conn.execute(sql.SQL("CREATE TABLE {} (position bigint NOT NULL)").format(
                sql.Identifier(projection.name)))
        yield projection
        with services.pool.connection() as conn:
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(projection.name)))
            conn.execute("DELETE FROM projection_positions WHERE name = %s", (projection.name,))

    def test_two_runners_apply_each_event_once(
        self, services: Services, applied: AppliedEvents
    ) -> None:
        # Two runners follow the same read model while the log keeps growing under them.
        stop = threading.Event()
        followers = [LogFollower(services.ledger, services.url) for _ in range(2)]
        runners = [
            threading.Thread(target=Projector(services.pool, f, applied).run, args=(stop,))
            for f in followers
        ]
        for runner in runners:
            runner.start()
        accounts = [new_account_number() for _ in range(4)]
        for i in range(80):
            services.committer.submit(c.RecordInteraction(
                account_number=accounts[i % 4], channel=Channel.CHAT,
                direction=Direction.INBOUND, occurred_at=T0, summary=f"сообщение {i}"),
                "bot", T0)  # fmt: skip
        final = services.committer.execute(c.RecordInteraction(
            account_number=accounts[0], channel=Channel.CHAT, direction=Direction.INBOUND,
            occurred_at=T0, summary="последнее"), "bot", T0)  # fmt: skip

        reached = wait_for(services.pool, applied.name, final.position, 20)

        stop.set()
        for runner in runners:
            runner.join(timeout=10)
        for follower in followers:
            follower.close()
        assert reached
        positions = [r["position"] for r in rows(
            services.pool, sql.SQL("SELECT position FROM {} ORDER BY position").format(
                sql.Identifier(applied.name)))]  # fmt: skip
        assert positions == log_positions(services)  # every event once, none twice
        assert position_of(services.pool, applied.name) == head(services)

    def test_two_runners_rebuild_the_timeline_once(self, services: Services) -> None:
        services.committer.execute(c.RecordInteraction(
            account_number=new_account_number(), channel=Channel.OFFICE,
            direction=Direction.INBOUND, occurred_at=T0, summary="визит"), "op", T0)  # fmt: skip
        services.projector("timeline").reset()
        runners = [services.projector("timeline") for _ in range(2)]
        start = threading.Barrier(2)

        def rebuild(projector: Projector) -> None:
            start.wait()
            projector.catch_up()

        threads = [threading.Thread(target=rebuild, args=(p,)) for p in runners]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        counted = rows(services.pool, "SELECT count(*) AS n, count(DISTINCT position) AS d"
                       " FROM timeline_entries")[0]
        accesses = rows(services.pool, "SELECT count(*) AS n FROM ledger_events"  # not shown
                        " WHERE topic LIKE 'domain.access_audit:%%'")[0]["n"]
        assert counted["n"] == counted["d"] == len(log_positions(services)) - accesses
        assert position_of(services.pool, "timeline") == head(services)


class TestRebuild:
    @pytest.mark.parametrize("name", READ_MODELS)
    def test_rebuild_gives_the_same_rows(self, services: Services, name: str) -> None:
        # A little history of two accounts, projected as it happened.
        for _ in range(2):
            account = new_account_number()
            registered = services.committer.execute(c.RegisterAppeal(
                account_number=account, channel=Channel.EMAIL, type=AppealType.INQUIRY,
                received_at=T0, subject="Тариф", text="Какой тариф?"), "op", T0)
            assert registered.appeal_number is not None
            services.committer.execute(c.AssignAppeal(
                appeal_number=registered.appeal_number, assignee="ivanova"), "op", T0)
        projector = services.projector(name)
        projector.catch_up()
        tables = projector.projection.tables
        before = snapshot(services.pool, tables)
        assert before and all(before.values())

        projector.reset()
        emptied = snapshot(services.pool, tables)
        projector.catch_up()

        assert all(not table_rows for table_rows in emptied.values())
        assert snapshot(services.pool, tables) == before
        assert position_of(services.pool, name) == head(services)


class TestWaitFor:
    def test_wait_returns_once_the_write_is_projected(
        self, services: Services, following: None
    ) -> None:
        account = new_account_number()

        outcome = services.committer.execute(c.RecordInteraction(
            account_number=account, channel=Channel.PHONE, direction=Direction.INBOUND,
            occurred_at=T0, summary="звонок"), "op", T0)  # fmt: skip

        assert wait_for(services.pool, "timeline", outcome.position, 5)
        assert rows(services.pool, "SELECT summary FROM timeline_entries"
                    " WHERE account_number = %s AND event_type = 'InteractionRecorded'",
                    account) == [{"summary": "звонок"}]

    def test_wait_gives_up_when_nobody_projects(self, services: Services) -> None:
        # Without a runner the read model stays behind the write.
        outcome = services.committer.execute(c.RecordInteraction(
            account_number=new_account_number(), channel=Channel.PHONE,
            direction=Direction.INBOUND, occurred_at=T0, summary="звонок"), "op", T0)

        reached = wait_for(services.pool, "appeal_status", outcome.position, 0.05)

        assert not reached
        services.projector("appeal_status").catch_up()
        assert wait_for(services.pool, "appeal_status", outcome.position, 0.05)

    def test_wait_gives_up_beyond_the_head(self, services: Services) -> None:
        services.projector("timeline").catch_up()
        beyond = head(services) + 1_000
        started = time.monotonic()

        reached = wait_for(services.pool, "timeline", beyond, 0.05)

        assert not reached
        assert 0.05 <= time.monotonic() - started < 2
