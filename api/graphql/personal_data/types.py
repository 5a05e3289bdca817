"""The auditor's view of personal data: accesses, erasures and the subject's report."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from adapters import subject_report as r
from api.graphql.pagination import PageInfo, encode
from api.graphql.personal import pd_details_field
from projections.pd_audit_queries import AccessRow, ErasureRow


@strawberry.type(description="One recorded access to an account's personal data.")
class PdAccess:
    position: int = strawberry.field(description="Log position of the access record.")
    at: datetime
    actor: str = strawberry.field(description="The token's subject.")
    role: str
    purpose: str = strawberry.field(description="The declared purpose (X-Purpose).")
    account_number: str
    fields: list[str] = strawberry.field(description="Which fields were shown, e.g. "
                                         "Appeal.subject, Contact.phone.")
    request_id: str
    api: str = strawberry.field(description="Through what: graphql, report, cli.")

    @classmethod
    def of(cls, row: AccessRow) -> PdAccess:
        """From a read-model row."""
        return cls(position=row.position, at=row.at, actor=row.actor, role=row.role,
                   purpose=row.purpose, account_number=row.account_number, fields=row.fields,
                   request_id=row.request_id, api=row.api)


@strawberry.type
class PdAccessEdge:
    cursor: str
    node: PdAccess


@strawberry.type(description="A page of accesses, newest first.")
class PdAccessConnection:
    edges: list[PdAccessEdge]
    page_info: PageInfo

    @classmethod
    def of(cls, rows: list[AccessRow], size: int) -> PdAccessConnection:
        """A page from up to size+1 rows (the extra one says there is more)."""
        edges = [PdAccessEdge(cursor=encode(str(r.position)), node=PdAccess.of(r))
                 for r in rows[:size]]
        end = edges[-1].cursor if edges else None
        return cls(edges=edges, page_info=PageInfo(has_next_page=len(rows) > size,
                                                   end_cursor=end))


@strawberry.type(description="An erasure of an account's personal data and its legal ground.")
class PdErasure:
    position: int
    at: datetime
    actor: str
    ground: str

    @classmethod
    def of(cls, row: ErasureRow) -> PdErasure:
        """From a read-model row."""
        return cls(position=row.position, at=row.at, actor=row.actor, ground=row.ground)


@strawberry.type(description="The personal fields one stored event holds, as read now.")
class HeldData:
    account_number: strawberry.Private[str]
    version: int = strawberry.field(description="The event's version in the account's stream "
                                    "(in the campaign's, for a campaign's list).")
    event_type: str
    recorded_at: datetime
    appeal_number: str | None
    campaign_id: strawberry.ID | None = strawberry.field(
        description="Set for the figures a campaign's recipient list holds of the account.")
    fields: JSON = pd_details_field(event_type=lambda root: root.event_type,
                                    right="subjectReport", every_key=True,
                                    description="Personal fields (need a purpose).")

    @classmethod
    def of(cls, number: str, item: r.HeldItem) -> HeldData:
        """From the report's item."""
        return cls(account_number=number, version=item.version, event_type=item.event_type,
                   recorded_at=item.recorded_at, appeal_number=item.appeal_number,
                   campaign_id=None if item.campaign_id is None
                   else strawberry.ID(str(item.campaign_id)),
                   fields=cast(JSON, item.fields))


@strawberry.type(description="All personal data held of an account and every access to it.")
class SubjectReport:
    account_number: str
    generated_at: datetime
    held: list[HeldData]
    accesses: list[PdAccess]
    erasures: list[PdErasure]
    document_url: str = strawberry.field(description="The printable report (HTML), for the "
                                         "same token and X-Purpose.")

    @classmethod
    def of(cls, report: r.SubjectReport) -> SubjectReport:
        """From the adapter's report."""
        number = report.account_number
        return cls(account_number=number, generated_at=report.generated_at,
                   held=[HeldData.of(number, h) for h in report.held],
                   accesses=[PdAccess.of(a) for a in report.accesses],
                   erasures=[PdErasure.of(e) for e in report.erasures],
                   document_url=f"/reports/subject/{number}")
