"""startCampaign: the runner sends it within its window → Campaign.CampaignStarted."""

from __future__ import annotations

import strawberry

from api.graphql.context import Context
from api.graphql.notifications.mutations.campaign_run import (
    CampaignPayload,
    run_campaign_mutation,
)
from api.graphql.notifications.queries import uuid_of


async def start_campaign(info: strawberry.Info[Context, None], id: strawberry.ID) -> (
        CampaignPayload):
    """Supervisor: start a created campaign whose window has not ended."""
    info.context.require("startCampaign")  # who may, before what they sent
    campaign_id = uuid_of(id)
    return await run_campaign_mutation(
        info, "startCampaign", campaign_id,
        lambda desk, actor, now: desk.start(campaign_id, actor, now))
