"""What every campaign mutation does: act on the campaign off the event loop, wait for the
campaigns read model, read the campaign back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

import anyio.to_thread
import strawberry

from adapters.notify.service import campaign_desk
from api.graphql.context import Context
from api.graphql.notifications.campaign_types import Campaign
from domain.campaign_desk import CampaignDesk
from projections.campaign_queries import read_campaign


@strawberry.type(description="The position written and the campaign as read after it.")
class CampaignPayload:
    position: int = strawberry.field(description="The log position this mutation wrote.")
    campaign: Campaign | None


async def run_campaign_mutation(
    info: strawberry.Info[Context, None], operation: str, campaign_id: UUID,
    act: Callable[[CampaignDesk, str, datetime], int],
) -> CampaignPayload:
    """Run one campaign command as the caller; answer with the campaign as now shown."""
    context = info.context
    principal = context.require(operation)
    desk = campaign_desk(context.services, context.settings)
    position = await anyio.to_thread.run_sync(
        lambda: act(desk, principal.subject, datetime.now(UTC)))
    await context.wait("campaigns", position)
    await context.wait("campaign_recipients", position)  # the subject's report finds the list
    row = await context.read(read_campaign, campaign_id)
    return CampaignPayload(position=position, campaign=None if row is None else Campaign.of(row))
