"""recordContactPoint: an address and its source → Account.ContactPointRecorded."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Context
from api.graphql.errors import convert
from api.graphql.notifications.types import ContactKind, ContactSource
from domain.notification_commands import RecordContactPoint


@strawberry.input(description="A way to reach the client and where it came from (9.1.6).")
class ContactPointInput:
    account_number: str
    kind: ContactKind
    value: str = strawberry.field(description="The number, address or e-mail (personal data).")
    source: ContactSource = strawberry.field(
        description="CONTRACT numbers are the only ones phone auto-informing calls; CLIENT "
        "(voluntary) addresses the only ones e-mail and SMS use.")
    at: datetime | None = strawberry.field(default=None, description="When; default now.")


@strawberry.type(description="The position written.")
class ContactPointPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    account_number: str
    duplicate: bool = strawberry.field(description="True when it was recorded already.")


async def record_contact_point(
    info: strawberry.Info[Context, None], input: ContactPointInput
) -> ContactPointPayload:
    """Record a contact point of the client."""
    info.context.require("recordContactPoint")  # who may, before what they sent
    outcome = await info.context.execute("recordContactPoint",
                                         convert(input, RecordContactPoint))
    return ContactPointPayload(position=outcome.position, account_number=outcome.account_number,
                               duplicate=outcome.duplicate)
