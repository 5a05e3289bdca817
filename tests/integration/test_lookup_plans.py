"""Read models find rows by other keys than their primary one through an index: an erasure by
stream id read the whole timeline and appeal tables, and a contact's SLA timers were looked up
by a column without one, for each event that names the contact."""

from __future__ import annotations

import uuid

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


@pytest.mark.parametrize("query", [
    "SELECT * FROM sla_timers WHERE interaction_id = %s AND outcome IS NULL",  # live
    "SELECT * FROM sla_timers WHERE interaction_id = ANY(%s)",  # a rebuild's page
], ids=["live", "page"])
def test_a_contacts_timers_are_found_without_reading_the_table(
    database_url: str, query: str
) -> None:
    prepare_database(database_url)
    interaction = uuid.uuid4()
    with psycopg.connect(database_url) as conn:
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in conn.execute(
            f"EXPLAIN {query}", (interaction if "ANY" not in query else [interaction],)))

    assert "Seq Scan" not in plan and "sla_timers_interaction" in plan, plan
