"""Access records go to each account's own audit stream, a batch of them in one save."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID

import pytest
from eventsourcing.application import Application

from domain.access_audit import AccessAudit, RecordAccess, audit_stream_id, record_accesses
from domain.identity import account_stream_id
from domain.ledger import Outcome, Request

pytestmark = pytest.mark.unit

AT = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=3)))


def access(number: str, purpose: str = "appeal:2026-000001") -> Request:
    command = RecordAccess(account_number=number, role="operator", purpose=purpose,
                           fields=("Appeal.text",), request_id="r-1", api="graphql", at=AT)
    return Request(command, "ivanova", AT)


@pytest.fixture
def app() -> Application[UUID]:
    return Application({"PERSISTENCE_MODULE": "eventsourcing.popo"})


class TestAccessAudit:
    def test_the_audit_stream_is_the_accounts_own_and_not_the_account_stream(self) -> None:
        assert audit_stream_id("4400112233") == audit_stream_id("4400112233")
        assert audit_stream_id("4400112233") != account_stream_id("4400112233")

    def test_a_batch_records_each_access_in_its_accounts_stream(
        self, app: Application[UUID]
    ) -> None:
        results = record_accesses(app, [access("4400112233"), access("4400112244"),
                                        access("4400112233", "supervision")])

        assert all(isinstance(r, Outcome) for r in results)
        first: AccessAudit = app.repository.get(audit_stream_id("4400112233"))
        assert (first.number, first.accesses) == ("4400112233", 2)
        recorded = list(app.events.get(audit_stream_id("4400112233")))
        assert [getattr(e, "purpose", None) for e in recorded] == [
            None, "appeal:2026-000001", "supervision"]
        assert recorded[1].actor == "ivanova"  # type: ignore[attr-defined]

    def test_later_accesses_extend_the_same_stream(self, app: Application[UUID]) -> None:
        record_accesses(app, [access("4400112233")])

        record_accesses(app, [access("4400112233")])

        audit: AccessAudit = app.repository.get(audit_stream_id("4400112233"))
        assert audit.accesses == 2
