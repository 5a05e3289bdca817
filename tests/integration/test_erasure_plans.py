"""An erasure finds the account's read-model rows through an index: by stream id it read the
whole timeline and appeal tables at every erasure (and at each one a rebuild met)."""

from __future__ import annotations

import psycopg
import pytest

from adapters.bootstrap import prepare_database
from domain.personal_data import personal_event_types
from projections.pd_erasure import APPEAL_ROWS, TIMELINE_ROWS

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("query", [TIMELINE_ROWS, APPEAL_ROWS], ids=["timeline", "appeals"])
def test_an_erasure_reads_no_whole_table(database_url: str, query: str) -> None:
    prepare_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # a scan only where no index serves
        plan = "\n".join(row[0] for row in conn.execute(
            f"EXPLAIN {query}", ("7701234567", list(personal_event_types()))).fetchall())

    assert "Seq Scan" not in plan, plan
