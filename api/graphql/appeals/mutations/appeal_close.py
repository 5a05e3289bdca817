"""closeAppeal: close an answered appeal → Account.AppealClosed."""

from __future__ import annotations

import strawberry

from api.graphql.appeals.mutations.appeal_request_clarification import AppealNoteInput
from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from domain.commands import CloseAppeal


async def close_appeal(
    info: strawberry.Info[Context, None], input: AppealNoteInput
) -> AppealPayload:
    """Close an answered appeal."""
    return await run_appeal_mutation(info, "closeAppeal", input, CloseAppeal)
