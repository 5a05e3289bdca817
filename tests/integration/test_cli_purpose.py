"""`ledger replay --purpose`: a well-formed purpose, covering the account replayed."""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Services
from adapters.settings import load_settings
from api.cli_audit import export_events, purpose_argument, replay
from tests.integration.pd_support import SECRET, catch_up, history, ledger_services, new_account

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    with ledger_services(database_url) as built:
        yield built


def run_replay(services: Services, account: str, purpose: str) -> int:
    settings = dataclasses.replace(load_settings(), database_url=services.url)
    args = argparse.Namespace(account=account, as_of=None, version=None, purpose=purpose)
    return replay(args, settings)


def accesses_of(services: Services, account: str) -> list[str]:
    catch_up(services)
    with services.pool.connection() as conn:
        rows = conn.execute("SELECT purpose FROM pd_audit_accesses WHERE account_number = %s",
                            (account,)).fetchall()
    return [r[0] for r in rows]


class TestReplayPurpose:
    def test_an_appeal_of_another_account_is_refused_before_anything_is_read(
        self, services: Services, capsys: pytest.CaptureFixture[str]
    ) -> None:
        account, other = new_account(), new_account()
        history(services, account)
        elsewhere = history(services, other)

        code = run_replay(services, account, f"appeal:{elsewhere}")

        out = capsys.readouterr()
        assert code == 2 and out.out == ""
        assert f"appeal:{elsewhere} does not cover account {account}" in out.err
        assert accesses_of(services, account) == []

    def test_the_appeal_of_the_account_replayed_is_recorded_as_its_purpose(
        self, services: Services, capsys: pytest.CaptureFixture[str]
    ) -> None:
        account = new_account()
        number = history(services, account)

        code = run_replay(services, account, f"appeal:{number}")

        assert code == 0 and SECRET in capsys.readouterr().out
        assert accesses_of(services, account) == [f"appeal:{number}"]

    def test_exporting_every_account_for_one_account_s_purpose_is_refused(
        self, services: Services, capsys: pytest.CaptureFixture[str]
    ) -> None:
        account = new_account()
        history(services, account)
        settings = dataclasses.replace(load_settings(), database_url=services.url)
        args = argparse.Namespace(all=True, account=None, start=None, end=None,
                                  purpose=f"account:{account}")

        code = export_events(args, settings)

        out = capsys.readouterr()
        assert code == 2 and out.out == ""
        assert "covers one account, not every account" in out.err
        assert accesses_of(services, account) == []

    def test_a_malformed_purpose_is_an_argument_error(self) -> None:
        with pytest.raises(argparse.ArgumentTypeError, match="unknown purpose 'because'"):
            purpose_argument("because")
