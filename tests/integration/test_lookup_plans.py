"""Read models find rows by other keys than their primary one through an index: an erasure by
stream id read the whole timeline and appeal tables, and a contact's SLA timers were looked up
by a column without one, for each event that names the contact."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg import sql

from adapters.bootstrap import prepare_database
from domain.personal_data import personal_event_types
from projections.appeal_status_queries import AppealFilter, appeals_query
from projections.campaign_queries import RESULTS
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


@pytest.mark.parametrize("after", [None, (datetime(2026, 3, 2, 9, tzinfo=UTC), "2026-000123")],
                         ids=["first page", "next page"])
def test_a_page_of_appeals_is_read_in_order_not_sorted(
    database_url: str, after: tuple[datetime, str] | None
) -> None:
    """`appeals` with no filter, as a list screen opens it: no sort of every appeal. Whether an
    index can give the order is asked with sorts and scans discouraged (on a near-empty
    table the planner rightly prefers a sort)."""
    prepare_database(database_url)
    query, params = appeals_query(AppealFilter(), 20, after)
    with psycopg.connect(database_url) as conn:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.execute(f"SET LOCAL {setting} = off")
        plan = "\n".join(row[0] for row in conn.execute(
            sql.SQL("EXPLAIN ") + query, params).fetchall())

    assert "appeal_status_appeals_received" in plan and "Sort" not in plan, plan


@pytest.mark.parametrize("status", [None, "delivered"], ids=["all", "delivered"])
def test_a_page_of_a_campaigns_results_is_read_in_order_not_sorted(
    database_url: str, status: str | None
) -> None:
    prepare_database(database_url)
    with psycopg.connect(database_url) as conn:
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            conn.execute(f"SET LOCAL {setting} = off")
        plan = "\n".join(row[0] for row in conn.execute(
            f"EXPLAIN {RESULTS}", (uuid.uuid4(), "7700000000", status, status, 50)).fetchall())

    assert "notifications_campaign_account" in plan and "Sort" not in plan, plan
