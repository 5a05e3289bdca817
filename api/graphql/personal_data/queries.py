"""The auditor's queries: accesses to personal data, and the subject's report."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import anyio.to_thread
import strawberry

from adapters.notify.campaign_sealer import CampaignSealer
from adapters.subject_report import subject_report as build_report
from api.graphql.context import Context
from api.graphql.pagination import decode_position, page_size
from api.graphql.personal_data.types import PdAccessConnection, SubjectReport
from domain.identity import check_account_number
from projections.pd_audit_queries import AccessFilter, read_accesses


@strawberry.input(description="Which accesses to list; every condition given must hold.")
class PdAccessFilter:
    account_number: str | None = None
    actor: str | None = strawberry.field(default=None, description="A token's subject.")
    purpose: str | None = None
    from_: datetime | None = strawberry.field(default=None, name="from",
                                              description="Inclusive.")
    to: datetime | None = strawberry.field(default=None, description="Exclusive.")


async def personal_data_access(
    info: strawberry.Info[Context, None], filter: PdAccessFilter, first: int = 50,
    after: str | None = None,
) -> PdAccessConnection:
    """Accesses to personal data by account, actor, purpose and period, newest first."""
    info.context.require("personalDataAccess")
    size = page_size(first)
    flt = AccessFilter(account_number=filter.account_number, actor=filter.actor,
                       purpose=filter.purpose, at_from=filter.from_, at_to=filter.to)
    rows = await info.context.read(read_accesses, flt, size + 1, decode_position(after))
    return PdAccessConnection.of(rows, size)


async def subject_report(
    info: strawberry.Info[Context, None], account_number: str
) -> SubjectReport:
    """All personal data held of an account (read with a purpose) and every access to it."""
    context = info.context
    context.require("subjectReport")
    number = check_account_number(account_number)
    services = context.services
    report = await anyio.to_thread.run_sync(
        partial(build_report, services.ledger, services.pool, number,
                CampaignSealer(services.keys)))
    return SubjectReport.of(report)


@strawberry.type
class PersonalDataQueries:
    personal_data_access: PdAccessConnection = strawberry.field(
        resolver=personal_data_access,
        description="Auditor: accesses to personal data by account, actor, purpose, period.")
    subject_report: SubjectReport = strawberry.field(
        resolver=subject_report,
        description="Auditor: all personal data held of an account and every access to it.")
