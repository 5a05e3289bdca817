"""recordUnidentifiedInteraction and linkContact: contacts from people not yet known as a
client → their own stream (`U-…`), linked to an account later (domain/unidentified.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from api.graphql.accounts.types import Account
from api.graphql.context import Context
from api.graphql.enums import Channel, Direction
from api.graphql.errors import convert
from domain.errors import ValidationError
from domain.unidentified import UnidentifiedContact
from domain.unidentified_commands import (
    LinkContact,
    RecordUnidentifiedInteraction,
    unidentified_interaction,
)


@strawberry.input(description="How an unidentified person reached us: one of phone or e-mail.")
class UnidentifiedContactInput:
    phone: str | None = None
    email: str | None = None


@strawberry.input(description="A contact from someone with no account known yet.")
class RecordUnidentifiedInteractionInput:
    contact: UnidentifiedContactInput = strawberry.field(
        description="Personal data: stored sealed; the stream is keyed by its digest.")
    channel: Channel
    direction: Direction
    occurred_at: datetime = strawberry.field(description="ISO 8601 with an offset.")
    summary: str
    operator: str | None = None
    external_id: str | None = strawberry.field(
        default=None, description="The channel's own id: the same one is stored once.")
    ended_at: datetime | None = strawberry.field(
        default=None, description="When a contact that lasted (a call) ended.")


@strawberry.type(description="The contact's stream, the position written, the entry recorded.")
class UnidentifiedInteractionPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    contact_ref: str = strawberry.field(
        description="The stream's number (`U-…`): the same contact always gives the same one.")
    interaction_id: strawberry.ID
    duplicate: bool = strawberry.field(description="True when channel + externalId was known.")
    contact: Account = strawberry.field(description="The contact's stream, read as an account.")


@strawberry.input(description="The unidentified person is this account's client.")
class LinkContactInput:
    contact_ref: str
    account_number: str
    at: datetime | None = None


@strawberry.type(description="The link recorded in the contact's stream.")
class LinkContactPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    contact_ref: str
    duplicate: bool = strawberry.field(description="True when it was linked to it already.")
    account: Account = strawberry.field(description="The client's account, now showing the "
                                        "contact's interactions in its timeline.")


async def record_unidentified_interaction(
    info: strawberry.Info[Context, None], input: RecordUnidentifiedInteractionInput
) -> UnidentifiedInteractionPayload:
    """Record a contact in the stream of the person's phone or e-mail."""
    context = info.context
    context.require("recordUnidentifiedInteraction")  # who may, before what they sent
    contact = convert(input.contact, UnidentifiedContact, "input.contact")
    fields: dict[str, Any] = {
        "channel": input.channel, "direction": input.direction,
        "occurredAt": input.occurred_at, "summary": input.summary,
        "operator": input.operator, "externalId": input.external_id,
        "endedAt": input.ended_at}
    try:
        named = unidentified_interaction(contact, **fields)
    except ValidationError as error:  # the contact's own fields, under the input
        raise ValidationError(error.message, field=f"input.{error.field}") from None
    command = convert(named, RecordUnidentifiedInteraction)
    outcome = await context.execute("recordUnidentifiedInteraction", command)
    await context.wait("timeline", outcome.position)
    return UnidentifiedInteractionPayload(
        position=outcome.position, contact_ref=outcome.account_number,
        interaction_id=strawberry.ID(str(outcome.interaction_id)),
        duplicate=outcome.duplicate, contact=Account(number=outcome.account_number))


async def link_contact(
    info: strawberry.Info[Context, None], input: LinkContactInput
) -> LinkContactPayload:
    """Link an unidentified contact's stream to a client's account."""
    context = info.context
    context.require("linkContact")  # who may, before what they sent
    command = convert(input, LinkContact)
    outcome = await context.execute("linkContact", command)
    await context.wait("contact_links", outcome.position)
    return LinkContactPayload(position=outcome.position, contact_ref=command.contact_ref,
                              duplicate=outcome.duplicate,
                              account=Account(number=command.account_number))
