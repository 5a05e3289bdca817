"""`ledger sla policy` and `ledger sla report`: a policy file an operator can edit, a table."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters.bootstrap import sla_policy
from adapters.settings import load_settings
from api.cli import parser
from api.cli_sla import policy, render
from domain.sla import DEFAULT_POLICY, load_policy
from projections.sla_timeliness import Period, TimelinessRow

pytestmark = pytest.mark.unit

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 30)


def row(channel: str, appeal_type: str | None, met: int, breached: int) -> TimelinessRow:
    return TimelinessRow(period_start=MARCH, period_end=APRIL, channel=channel,
                         appeal_type=appeal_type, met=met, breached=breached, open=1, cancelled=0)


class TestPolicyFile:
    def test_the_printed_policy_loads_back_as_the_same_policy(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        policy(parser().parse_args(["sla", "policy"]), load_settings())
        path = tmp_path / "policy.json"
        path.write_text(capsys.readouterr().out)

        assert load_policy(path) == DEFAULT_POLICY

    def test_the_setting_names_the_file_in_force(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        path = tmp_path / "policy.json"
        path.write_text('{"version": "ops-2", "rules": []}')
        monkeypatch.setenv("LEDGER_SLA_POLICY", str(path))

        assert sla_policy(load_settings()).version == "ops-2"


class TestReport:
    def test_prints_a_row_per_channel_and_type_and_a_total(self) -> None:
        text = render([row("chat", "inquiry", 3, 1), row("phone", None, 0, 0)])

        lines = [line.split() for line in text.splitlines()]
        assert lines == [
            ["period", "channel", "type", "met", "breached", "open", "cancelled", "share"],
            ["2026-03-01..2026-04-30", "chat", "inquiry", "3", "1", "1", "0", "75.0%"],
            ["2026-03-01..2026-04-30", "phone", "-", "0", "0", "1", "0", "-"],
            ["total", "3", "1", "2", "0", "75.0%"],
        ]

    def test_the_command_line_takes_dates_and_a_period(self) -> None:
        args = parser().parse_args(
            ["sla", "report", "--from", "2026-03-01", "--to", "2026-04-30", "--period", "month"])

        assert (args.start, args.end, args.period) == (MARCH, APRIL, Period.MONTH)
