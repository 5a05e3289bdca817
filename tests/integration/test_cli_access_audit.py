"""`ledger export` and `ledger projections rebuild` record their access: one PersonalDataAccessed
per account, with the command's purpose, before anything is written or goes live."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.bootstrap import Services
from tests.integration.audit_support import built, chain_level, private_database
from tests.integration.pd_support import erase_now, history, new_account

pytestmark = pytest.mark.integration

_REJECT_ACCESSES = """
CREATE FUNCTION reject_accesses() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit store refuses'; END $$;
CREATE TRIGGER reject_accesses BEFORE INSERT ON ledger_events FOR EACH ROW
WHEN (NEW.topic LIKE '%PersonalDataAccessed') EXECUTE FUNCTION reject_accesses();
"""


class Ledger:
    """A private database with three accounts of personal data, one of them erased."""

    def __init__(self, url: str, services: Services) -> None:
        self.url, self.services = url, services
        self.accounts = [new_account() for _ in range(3)]
        for account in self.accounts:
            history(services, account)
        self.erased = self.accounts[2]
        erase_now(services, self.erased)
        chain_level(services)  # an export carries chained events only

    def cli(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        env = os.environ | {"LEDGER_DATABASE_URL": self.url}
        return subprocess.run([sys.executable, "-m", "api.cli", *args], env=env,
                              capture_output=True, check=False)

    def accesses(self, purpose: str) -> list[tuple[Any, ...]]:
        """(account, actor, role, api) of each access recorded with the purpose."""
        self.services.projector("pd_audit").catch_up()
        with self.services.pool.connection() as conn:
            return conn.execute(
                "SELECT account_number, actor, role, api FROM pd_audit_accesses"
                " WHERE purpose = %s ORDER BY account_number", (purpose,)).fetchall()


@pytest.fixture(scope="module")
def ledger(pg_server_url: str, run_id: str) -> Iterator[Ledger]:
    with private_database(pg_server_url, f"ledger_cli_audit_{run_id}") as url, built(
            url) as services:
        yield Ledger(url, services)


def _one_each(accounts: list[str], rows: list[tuple[Any, ...]]) -> None:
    assert [r[0] for r in rows] == sorted(accounts)
    assert all(r[1].startswith("cli:") and r[2:] == ("cli", "cli") for r in rows)


class TestExport:
    def test_an_account_export_records_one_access_for_that_account(self, ledger: Ledger) -> None:
        account = ledger.accounts[0]

        done = ledger.cli("export", account, "--purpose", "audit:court-2026-17")

        assert done.returncode == 0, done.stderr
        assert done.stdout.count(b"\n") > 1
        _one_each([account], ledger.accesses("audit:court-2026-17"))

    def test_exporting_all_records_one_access_per_account(self, ledger: Ledger) -> None:
        done = ledger.cli("export", "--all", "--purpose", "audit:case-7")

        assert done.returncode == 0, done.stderr
        _one_each(ledger.accounts, ledger.accesses("audit:case-7"))

    def test_without_a_purpose_the_export_is_recorded_as_an_audit_export(
        self, ledger: Ledger
    ) -> None:
        account = ledger.accounts[1]

        ledger.cli("export", account)

        assert [r[0] for r in ledger.accesses("audit:export")].count(account) == 1


class TestRebuild:
    def test_an_in_place_rebuild_records_each_account_with_readable_data(
        self, ledger: Ledger
    ) -> None:
        done = ledger.cli("projections", "rebuild", "timeline")

        assert done.returncode == 0, done.stderr
        _one_each(ledger.accounts[:2], ledger.accesses("rebuild:timeline"))

    def test_a_rebuild_beside_the_live_model_records_them_too(self, ledger: Ledger) -> None:
        done = ledger.cli("projections", "rebuild", "appeal_status", "--check")

        assert done.returncode in (0, 1), done.stderr
        _one_each(ledger.accounts[:2], ledger.accesses("rebuild:appeal_status"))


class TestAuditFailure:
    def test_an_export_whose_access_cannot_be_stored_writes_nothing(
        self, pg_server_url: str, run_id: str
    ) -> None:
        with private_database(pg_server_url, f"ledger_cli_refuse_{run_id}") as url, built(
                url) as services:
            ledger = Ledger(url, services)
            with services.pool.connection() as conn:
                conn.execute(_REJECT_ACCESSES)

            done = ledger.cli("export", "--all")

            assert done.returncode == 1
            assert done.stdout == b""
            assert b"nothing exported" in done.stderr

    def test_a_rebuild_whose_access_cannot_be_stored_leaves_the_model_as_it_was(
        self, pg_server_url: str, run_id: str
    ) -> None:
        with private_database(pg_server_url, f"ledger_cli_refuse2_{run_id}") as url, built(
                url) as services:
            ledger = Ledger(url, services)
            services.projector("timeline").catch_up()
            with services.pool.connection() as conn:
                before = conn.execute("SELECT count(*) FROM timeline_entries").fetchone()
                conn.execute(_REJECT_ACCESSES)

            done = ledger.cli("projections", "rebuild", "timeline")

            assert done.returncode != 0
            with services.pool.connection() as conn:
                after = conn.execute("SELECT count(*) FROM timeline_entries").fetchone()
            assert before == after and before is not None and before[0] > 0
