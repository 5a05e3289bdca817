"""recordInteraction: a contact on any channel → Account.InteractionRecorded."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from api.graphql.accounts.types import Account
from api.graphql.context import Context
from api.graphql.enums import AccountKind, Channel, Direction
from api.graphql.errors import convert
from domain.commands import RecordInteraction


@strawberry.input(description="A meter reading handed in (6.1.3).")
class MeterReadingInput:
    meter_number: str
    value: Decimal


@strawberry.input(description="A contact on any channel.")
class RecordInteractionInput:
    account_number: str
    channel: Channel
    direction: Direction
    occurred_at: datetime = strawberry.field(description="ISO 8601 with an offset.")
    summary: str
    operator: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="The channel's own id: the same one is stored once."
    )
    meter_reading: MeterReadingInput | None = None
    callback_at: datetime | None = strawberry.field(
        default=None, description="The moment agreed with the client for a call back (8.2.3)."
    )
    ended_at: datetime | None = strawberry.field(
        default=None, description="When a contact that lasted (a call) ended: the survey's 24 "
        "hours run from it (6.1.6). Omitted: it ended as it began.")
    account_kind: AccountKind | None = None


@strawberry.type(description="The position written and the account as read after it.")
class InteractionPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    interaction_id: strawberry.ID
    duplicate: bool = strawberry.field(description="True when channel + externalId was known.")
    account: Account


async def record_interaction(
    info: strawberry.Info[Context, None], input: RecordInteractionInput
) -> InteractionPayload:
    """Record a contact; a repeat of channel + externalId returns the existing record."""
    context = info.context
    outcome = await context.execute("recordInteraction", convert(input, RecordInteraction))
    await context.wait("timeline", outcome.position)
    return InteractionPayload(
        position=outcome.position, interaction_id=strawberry.ID(str(outcome.interaction_id)),
        duplicate=outcome.duplicate, account=Account(number=outcome.account_number),
    )
