"""registerAppeal: an appeal received through a channel → Account.AppealRegistered."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.appeals.mutations.run import AppealPayload, run_appeal_mutation
from api.graphql.context import Context
from api.graphql.enums import AccountKind, AppealForm, AppealType, Channel
from domain.commands import RegisterAppeal


@strawberry.input(description="How to reach the person who wrote.")
class ContactInput:
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    postal_address: str | None = None

@strawberry.input(description="An appeal as received.")
class RegisterAppealInput:
    account_number: str
    channel: Channel
    type: AppealType
    received_at: datetime = strawberry.field(description="ISO 8601 with an offset.")
    subject: str
    text: str
    contact: ContactInput | None = None
    reply_channel: Channel | None = strawberry.field(
        default=None, description="The channel the client chose for the answer (10.7)."
    )
    external_id: str | None = strawberry.field(
        default=None, description="The channel's own id: the same one is stored once."
    )
    form: AppealForm | None = strawberry.field(
        default=None, description="Defaults to the channel's usual form."
    )
    account_kind: AccountKind | None = None

async def register_appeal(
    info: strawberry.Info[Context, None], input: RegisterAppealInput
) -> AppealPayload:
    """Register an appeal; a repeat of channel + externalId returns the existing one."""
    return await run_appeal_mutation(info, "registerAppeal", input, RegisterAppeal)
