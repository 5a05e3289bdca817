"""cancelCampaign: nothing more goes out → Campaign.CampaignCancelled."""

from __future__ import annotations

import strawberry

from api.graphql.context import Context
from api.graphql.notifications.mutations.campaign_run import (
    CampaignPayload,
    run_campaign_mutation,
)
from api.graphql.notifications.queries import uuid_of


async def cancel_campaign(info: strawberry.Info[Context, None], id: strawberry.ID) -> (
        CampaignPayload):
    """Supervisor: cancel a campaign; what was not sent yet is recorded as not sent."""
    info.context.require("cancelCampaign")  # who may, before what they sent
    campaign_id = uuid_of(id)
    return await run_campaign_mutation(
        info, "cancelCampaign", campaign_id,
        lambda desk, actor, now: desk.cancel(campaign_id, actor, now))
