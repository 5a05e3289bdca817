"""Queries of notifications and campaigns."""

from __future__ import annotations

from uuid import UUID

import strawberry

from api.graphql.context import Context
from api.graphql.notifications.campaign_types import Campaign
from api.graphql.notifications.types import Notification
from domain.errors import ValidationError
from projections.campaign_queries import read_campaign
from projections.notification_queries import read_notification


def uuid_of(value: str, field: str = "id") -> UUID:
    """An id argument as a UUID, or VALIDATION naming it."""
    try:
        return UUID(value)
    except ValueError:
        raise ValidationError(f"{field} is not an id from this API", field) from None


async def notification(info: strawberry.Info[Context, None], id: strawberry.ID) -> (
        Notification | None):
    """One notification with its full status history; null if there is none."""
    info.context.require("notification")
    row = await info.context.read(read_notification, uuid_of(id))
    return None if row is None else Notification.of(row)


async def campaign(info: strawberry.Info[Context, None], id: strawberry.ID) -> Campaign | None:
    """A campaign with its live progress, report and results; null if there is none."""
    info.context.require("campaign")
    row = await info.context.read(read_campaign, uuid_of(id))
    return None if row is None else Campaign.of(row)


@strawberry.type
class NotificationQueries:
    notification: Notification | None = strawberry.field(
        resolver=notification, description="One notification with its status history.")
    campaign: Campaign | None = strawberry.field(
        resolver=campaign, description="A campaign: progress, report, results per recipient.")
