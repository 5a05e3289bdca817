"""requestClarification: ask the client for details → Account.ClarificationRequested."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from domain.commands import RequestClarification


@strawberry.input(description="A note on an appeal.")
class AppealNoteInput:
    appeal_number: str
    note: str
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def request_clarification(
    info: strawberry.Info[Context, None], input: AppealNoteInput
) -> AppealPayload:
    """Ask the client for details."""
    return await run_appeal_mutation(info, "requestClarification", input, RequestClarification)
