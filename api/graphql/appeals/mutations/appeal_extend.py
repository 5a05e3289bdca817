"""extendAppeal: extend the review term once, with a reason (9.2.4) → Account.AppealExtended."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from domain.commands import ExtendAppeal


@strawberry.input(description="Why the term is extended.")
class ExtendAppealInput:
    appeal_number: str
    reason: str
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def extend_appeal(
    info: strawberry.Info[Context, None], input: ExtendAppealInput
) -> AppealPayload:
    """Extend the review term once, with a reason (9.2.4)."""
    return await run_appeal_mutation(info, "extendAppeal", input, ExtendAppeal)
