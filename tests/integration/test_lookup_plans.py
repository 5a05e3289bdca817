"""Read models find rows by other keys than their primary one through an index: an erasure by
stream id read the whole timeline and appeal tables, and a contact's SLA timers were looked up
by a column without one, for each event that names the contact."""

from __future__ import annotations

import psycopg
import pytest

from adapters.bootstrap import prepare_database
from domain.personal_data import personal_event_types
from projections.pd_erasure import APPEAL_ROWS, TIMELINE_ROWS

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("query", "index"), [
    (TIMELINE_ROWS, "timeline_entries_account"), (APPEAL_ROWS, "appeal_status_appeals_account"),
], ids=["timeline", "appeals"])
def test_an_erasure_reads_no_whole_table(database_url: str, query: str, index: str) -> None:
    prepare_database(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")  # a scan only where no index serves
        plan = "\n".join(row[0] for row in conn.execute(
            f"EXPLAIN {query}", ("7701234567", list(personal_event_types()))).fetchall())

    assert "Seq Scan" not in plan and index in plan, plan


def test_a_contacts_timers_have_an_index_of_their_own(database_url: str) -> None:
    """Checked in the catalog, not in a plan: while few timers are open, the planner rightly
    prefers the small index of open timers, which stops being small as the table grows."""
    prepare_database(database_url)
    with psycopg.connect(database_url) as conn:
        leading = {row[0] for row in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
            " AND a.attnum = i.indkey[0] WHERE i.indrelid = 'sla_timers'::regclass")}

    assert "interaction_id" in leading
