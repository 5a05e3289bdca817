"""assignAppeal: hand the appeal to an assignee → Account.AppealAssigned."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from domain.commands import AssignAppeal


@strawberry.input(description="Who works on the appeal now.")
class AssignAppealInput:
    appeal_number: str
    assignee: str
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def assign_appeal(
    info: strawberry.Info[Context, None], input: AssignAppealInput
) -> AppealPayload:
    """Hand the appeal to an assignee."""
    return await run_appeal_mutation(info, "assignAppeal", input, AssignAppeal)
