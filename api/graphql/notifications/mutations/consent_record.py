"""recordConsent: consent given or withdrawn for a channel → Account.ConsentGiven/Withdrawn."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.graphql.context import Context
from api.graphql.errors import convert
from api.graphql.notifications.types import NotificationChannel
from domain.notification_commands import RecordConsent


@strawberry.input(description="Consent given or withdrawn for one channel.")
class ConsentInput:
    account_number: str
    channel: NotificationChannel
    given: bool = strawberry.field(description="True: given; false: withdrawn.")
    at: datetime | None = strawberry.field(default=None, description="When; default now.")
    note: str | None = strawberry.field(default=None, description="How it was given, e.g. "
                                        "a signed application.")


@strawberry.type(description="The position written and the consent as recorded.")
class ConsentPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    account_number: str
    channel: NotificationChannel
    given: bool
    duplicate: bool = strawberry.field(description="True when consent was in that state already.")


async def record_consent(
    info: strawberry.Info[Context, None], input: ConsentInput
) -> ConsentPayload:
    """Record consent given or withdrawn; no message goes to a channel without it."""
    info.context.require("recordConsent")  # who may, before what they sent
    command = convert(input, RecordConsent)
    outcome = await info.context.execute("recordConsent", command)
    return ConsentPayload(position=outcome.position, account_number=outcome.account_number,
                          channel=command.channel, given=command.given,
                          duplicate=outcome.duplicate)
