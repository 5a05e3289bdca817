"""The notification mutations, each defined in its own module under mutations/."""

from __future__ import annotations

import strawberry

from api.graphql.notifications.mutations.campaign_cancel import cancel_campaign
from api.graphql.notifications.mutations.campaign_create import create_campaign
from api.graphql.notifications.mutations.campaign_start import start_campaign
from api.graphql.notifications.mutations.consent_record import record_consent
from api.graphql.notifications.mutations.contact_point_record import record_contact_point
from api.graphql.notifications.mutations.notification_request import request_notification


@strawberry.type
class NotificationMutations:
    record_consent = strawberry.mutation(
        record_consent, description="Record consent given or withdrawn for a channel.")
    record_contact_point = strawberry.mutation(
        record_contact_point, description="Record a contact point and where it came from.")
    request_notification = strawberry.mutation(
        request_notification, description="Ask for an admission-act or verification notice.")
    create_campaign = strawberry.mutation(create_campaign, description="Supervisor: store a "
                                          "campaign (scenario, list, window).")
    start_campaign = strawberry.mutation(start_campaign, description="Supervisor: start it.")
    cancel_campaign = strawberry.mutation(cancel_campaign, description="Supervisor: cancel it.")
