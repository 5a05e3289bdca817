"""createCampaign: store a scenario, a recipient list and a window → Campaign.CampaignCreated."""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import strawberry
from strawberry.scalars import JSON

from api.graphql.context import Context
from api.graphql.errors import convert
from api.graphql.notifications.mutations.campaign_run import (
    CampaignPayload,
    run_campaign_mutation,
)
from api.graphql.notifications.types import NotificationChannel
from domain.campaign_commands import CreateCampaign


@strawberry.input(description="One account on the list and the figures its message needs.")
class CampaignRecipientInput:
    account_number: str
    values: JSON = strawberry.field(
        default=None, description='The template\'s figures, e.g. {"name": "...", "debt": "..."}.')


@strawberry.input(description="A campaign: scenario (template and channel), list and window.")
class CampaignInput:
    name: str
    template: str = strawberry.field(description="A campaign template: debt, restriction, "
                                     "contract_change, payment_due, tariff_change...")
    channel: NotificationChannel
    window_start: datetime = strawberry.field(description="Nothing goes out before it.")
    window_end: datetime = strawberry.field(description="Nothing goes out after it.")
    recipients: list[CampaignRecipientInput]


async def create_campaign(
    info: strawberry.Info[Context, None], input: CampaignInput
) -> CampaignPayload:
    """Supervisor: store a campaign (refused, nothing stored, if its input is not acceptable)."""
    info.context.require("createCampaign")
    command = convert({
        "name": input.name, "template": input.template, "channel": input.channel.value,
        "windowStart": input.window_start, "windowEnd": input.window_end,
        "recipients": [{"accountNumber": r.account_number, "values": r.values or {}}
                       for r in input.recipients]}, CreateCampaign)
    campaign_id = uuid4()
    return await run_campaign_mutation(
        info, "createCampaign", campaign_id,
        lambda desk, actor, now: desk.create(command, campaign_id, actor, now))
