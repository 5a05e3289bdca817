"""answerAppeal: answer through the channel the client chose (10.7) → Account.AppealAnswered."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from api.graphql.enums import Channel
from domain.commands import AnswerAppeal


@strawberry.input(description="The answer and the channel it went through.")
class AnswerAppealInput:
    appeal_number: str
    channel: Channel
    text: str
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


async def answer_appeal(
    info: strawberry.Info[Context, None], input: AnswerAppealInput
) -> AppealPayload:
    """Answer through the channel the client chose (10.7)."""
    return await run_appeal_mutation(info, "answerAppeal", input, AnswerAppeal)
