"""Post letters on real PostgreSQL: sealed with the account's key, erased with it, and read for
printing only as a recorded access."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from adapters.bootstrap import Services
from adapters.notify.gateways import Outgoing
from adapters.notify.letters import Letter, letters_to_print, mark_printed
from adapters.notify.post import PostGateway
from adapters.personal_data import Reader
from domain.notification_values import NotificationChannel
from tests.integration.pd_support import erase_now, history, ledger_services, new_account

pytestmark = pytest.mark.integration

ADDRESS = "г. Владивосток, ул. Ленина, д. 1, кв. 2"
PRINT_SHOP = Reader(actor="print-shop", role="operator", purpose="audit:print-run-1",
                    request_id="print-1", api="cli")


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    with ledger_services(database_url) as built:
        yield built


async def post(services: Services, account: str) -> Outgoing:
    message = Outgoing(uuid4(), account, "appeal_answered", NotificationChannel.POST, ADDRESS,
                       "Ответ на обращение", "Перерасчёт выполнен, Иванов И. И.")
    await PostGateway(services.pool, services.calendar.tz, services.keys).send(message)
    return message


def printed(services: Services, account: str) -> list[Letter]:
    letters = letters_to_print(services.pool, services.keys, services.audit, PRINT_SHOP, 10_000)
    return [x for x in letters if x.account_number == account]


def accesses(services: Services, account: str) -> list[tuple[str, list[str]]]:
    services.projector("pd_audit").catch_up()
    with services.pool.connection() as conn:
        return conn.execute("SELECT purpose, fields FROM pd_audit_accesses"
                            " WHERE account_number = %s", (account,)).fetchall()


class TestLetters:
    async def test_a_letter_is_stored_sealed(self, services: Services) -> None:
        account = new_account()
        history(services, account)

        message = await post(services, account)

        with services.pool.connection() as conn:
            row = conn.execute("SELECT address, subject, body, sealed FROM notify_letters"
                               " WHERE letter_id = %s", (message.notification_id,)).fetchone()
        assert row is not None and row[:3] == (None, None, None)
        assert ADDRESS.encode() not in bytes(row[3]) and "Иванов".encode() not in bytes(row[3])

    async def test_reading_for_print_shows_the_letter_and_records_the_access(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        await post(services, account)

        (letter,) = printed(services, account)

        assert letter.address == ADDRESS and "Иванов И. И." in letter.body
        assert accesses(services, account) == [
            ("audit:print-run-1", ["Letter.address", "Letter.body", "Letter.subject"])]

    async def test_an_erased_accounts_letter_reads_erased_and_records_nothing(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        await post(services, account)

        erase_now(services, account)
        (letter,) = printed(services, account)

        assert (letter.address, letter.subject, letter.body) == ("[erased]",) * 3
        assert accesses(services, account) == []

    async def test_a_printed_letter_is_not_read_again(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        message = await post(services, account)

        marked = mark_printed(services.pool, [message.notification_id])

        assert marked == 1 and printed(services, account) == []


def print_run(services: Services, *args: str) -> subprocess.CompletedProcess[str]:
    """`ledger notify letters ARGS` against the tests' database."""
    return subprocess.run(
        [sys.executable, "-m", "api.cli", "notify", "letters", "--limit", "10000", *args],
        env=os.environ | {"LEDGER_DATABASE_URL": services.url}, capture_output=True, text=True,
        timeout=120, check=False)


class TestPrintCommand:
    async def test_it_writes_the_letters_and_records_one_access_per_account(
        self, services: Services, tmp_path: Path
    ) -> None:
        account, erased = new_account(), new_account()
        for number in (account, erased):
            history(services, number)
        sent = [(await post(services, account)).notification_id for _ in range(2)]
        await post(services, erased)
        erase_now(services, erased)
        out = tmp_path / "letters.jsonl"

        result = print_run(services, "--purpose", "audit:print-run-2", "--out", str(out))

        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        ours = [x for x in lines if x["accountNumber"] == account]
        assert sorted(x["letterId"] for x in ours) == sorted(str(i) for i in sent)
        assert ours[0]["address"] == ADDRESS and "Иванов И. И." in ours[0]["body"]
        assert not [x for x in lines if x["accountNumber"] == erased]
        assert (out.stat().st_mode & 0o777) == 0o600
        assert accesses(services, account) == [
            ("audit:print-run-2", ["Letter.address", "Letter.body", "Letter.subject"])]
        assert accesses(services, erased) == []

    async def test_a_purpose_confined_to_one_account_is_refused_and_nothing_is_read(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        await post(services, account)

        result = print_run(services, "--purpose", f"account:{account}")

        assert (result.returncode, result.stdout) == (2, "")
        assert "covers one account" in result.stderr
        assert accesses(services, account) == []

    async def test_marked_printed_they_do_not_come_again(self, services: Services) -> None:
        account = new_account()
        history(services, account)
        await post(services, account)

        first = print_run(services, "--format", "text", "--mark-printed")
        again = print_run(services, "--format", "text")

        assert first.returncode == 0, first.stderr
        assert ADDRESS in first.stdout and f"лицевой счёт {account}" in first.stdout
        assert f"лицевой счёт {account}" not in again.stdout


def plain_letter(services: Services, account: str) -> None:
    """A letter as stored before letters were sealed (migration 0024): plain columns."""
    with services.pool.connection() as conn:
        conn.execute("INSERT INTO notify_letters (letter_id, account_number, address, subject,"
                     " body, created_at) VALUES (%s, %s, %s, %s, %s, now())",
                     (uuid4(), account, ADDRESS, "Ответ", "Иванов И. И."))


class TestLettersStoredPlain:
    def test_they_read_erased_once_the_account_is_erased_after_them(
        self, services: Services
    ) -> None:
        account = new_account()
        history(services, account)
        plain_letter(services, account)
        assert [x.address for x in printed(services, account)] == [ADDRESS]

        erase_now(services, account)
        plain_letter(services, account)  # written after the erasure: not erased by it

        assert sorted(x.address for x in printed(services, account)) == sorted(
            ["[erased]", ADDRESS])
