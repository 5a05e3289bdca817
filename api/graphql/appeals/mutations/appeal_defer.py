"""deferAppeal: leave the appeal for the next working day (9.1.5) → Account.AppealDeferred."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from domain.commands import DeferAppeal


@strawberry.input(description="Why the appeal waits for the next working day.")
class DeferAppealInput:
    appeal_number: str
    reason: str
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def defer_appeal(
    info: strawberry.Info[Context, None], input: DeferAppealInput
) -> AppealPayload:
    """Leave the appeal for the next working day (9.1.5)."""
    return await run_appeal_mutation(info, "deferAppeal", input, DeferAppeal)
