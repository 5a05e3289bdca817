"""What every appeal mutation does: validate, execute, wait for the read model, read back."""

from __future__ import annotations

from typing import Any

import strawberry

from api.graphql.appeals.types import Appeal
from api.graphql.context import Context
from api.graphql.errors import convert
from domain.commands import Command
from projections.appeal_status_queries import read_appeal


@strawberry.type(description="The position written and the appeal as read after it.")
class AppealPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    appeal: Appeal | None
    duplicate: bool = strawberry.field(
        default=False, description="True when channel + externalId was already stored."
    )

async def run_appeal_mutation(
    info: strawberry.Info[Context, None], operation: str, given: Any, command: type[Command]
) -> AppealPayload:
    """Run one appeal command and answer with the appeal as the read model now shows it."""
    context = info.context
    context.require(operation)
    outcome = await context.execute(operation, convert(given, command))
    await context.wait("appeal_status", outcome.position)
    assert outcome.appeal_number is not None
    row = await context.read(read_appeal, outcome.appeal_number)
    return AppealPayload(
        position=outcome.position, appeal=None if row is None else Appeal.of(row),
        duplicate=outcome.duplicate,
    )
