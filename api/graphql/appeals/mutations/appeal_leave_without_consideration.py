"""leaveAppealWithoutConsideration: no consideration on the merits (8.4.5–8.4.8).

→ Account.AppealLeftWithoutConsideration.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from api.graphql.enums import WithoutConsiderationReason
from domain.commands import LeaveWithoutConsideration


@strawberry.input(description="Why the appeal is not considered.")
class LeaveWithoutConsiderationInput:
    appeal_number: str
    reason: WithoutConsiderationReason
    related_appeal_number: str | None = strawberry.field(
        default=None, description="The earlier answered appeal, for REPEATED (8.4.7)."
    )
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def leave_without_consideration(
    info: strawberry.Info[Context, None], input: LeaveWithoutConsiderationInput
) -> AppealPayload:
    """Stop work on the merits for a reason of 8.4.5–8.4.8."""
    return await run_appeal_mutation(
        info, "leaveAppealWithoutConsideration", input, LeaveWithoutConsideration
    )
