"""Deterministic rebuilds on a real PostgreSQL: a read model rebuilt beside the live one matches
it table by table, an injected difference is reported, and a blue/green swap repairs it while
the live projector keeps running."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest

from adapters.bootstrap import Services
from adapters.projector import wait_for
from adapters.shadow import ShadowRebuild
from tests.integration.audit_support import built, fresh_account, history

pytestmark = pytest.mark.integration

READ_MODELS = ("timeline", "appeal_status", "sla_timers")


@pytest.fixture(scope="module")
def services(database_url: str) -> Iterator[Services]:
    with built(database_url) as ready:
        history(ready, fresh_account())
        for name in READ_MODELS:
            ready.projector(name).catch_up()
        yield ready


def shadow_of(services: Services, name: str) -> ShadowRebuild:
    shadow = ShadowRebuild(services.url, services.ledger, services.projections[name])
    shadow.create()
    shadow.build()
    return shadow


def inject_difference(services: Services) -> int:
    """Change one live timeline row behind the projection's back; its position."""
    with services.pool.connection() as conn:
        row = conn.execute("UPDATE timeline_entries SET summary = 'подменено' WHERE position ="
                           " (SELECT max(position) FROM timeline_entries) RETURNING position"
                           ).fetchone()
    assert row is not None
    return int(row[0])


class TestRebuildCheck:
    @pytest.mark.parametrize("name", READ_MODELS)
    def test_a_rebuild_matches_the_live_read_model(self, services: Services, name: str) -> None:
        shadow = shadow_of(services, name)

        _, diffs = shadow.compare()
        shadow.close()

        assert [(d.table, d.same) for d in diffs] == [
            (t, True) for t in services.projections[name].tables]

    def test_an_injected_difference_is_reported_and_a_swap_repairs_it(
        self, services: Services
    ) -> None:
        position = inject_difference(services)
        shadow = shadow_of(services, "timeline")

        _, before = shadow.compare()
        stop = threading.Event()
        live = threading.Thread(target=services.projector("timeline").run, args=(stop,))
        live.start()
        shadow.swap()
        history(services, fresh_account())  # the live projector goes on, into the new tables
        head = services.ledger.recorder.max_notification_id() or 0
        assert wait_for(services.pool, "timeline", head, 10)
        stop.set()
        live.join(timeout=10)
        shadow.close()
        after = shadow_of(services, "timeline")
        _, repaired = after.compare()
        after.close()

        (diff,) = before
        assert (diff.only_live, diff.only_rebuilt) == (1, 1)
        assert diff.samples_live[0]["position"] == position
        assert diff.samples_live[0]["summary"] == "подменено"
        assert diff.samples_rebuilt[0]["summary"] != "подменено"
        assert [d.same for d in repaired] == [True]

    def test_the_command_line_exits_1_on_a_difference(self, services: Services) -> None:
        env = os.environ | {"LEDGER_DATABASE_URL": services.url}
        command = [sys.executable, "-m", "api.cli", "projections", "rebuild", "appeal_status",
                   "--check"]
        same = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        with services.pool.connection() as conn:
            conn.execute("UPDATE appeal_status_appeals SET assignee = 'кто-то другой'"
                         " WHERE appeal_number = (SELECT max(appeal_number)"
                         " FROM appeal_status_appeals)")

        differs = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        repaired = subprocess.run([*command[:-1], "--swap"], env=env, capture_output=True,
                                  text=True, check=False)

        assert same.returncode == 0, same.stdout + same.stderr
        assert "appeal_status_appeals: same" in same.stdout
        assert differs.returncode == 1
        assert "appeal_status_appeals: 1 rows only live, 1 rows only rebuilt" in differs.stdout
        assert repaired.returncode == 0, repaired.stderr
