"""Campaigns in GraphQL: scenario and window, live progress, report, results per recipient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import strawberry

from api.graphql.context import Context
from api.graphql.notifications.campaign_list import CampaignRecipientConnection, recipient_list
from api.graphql.notifications.types import NotificationChannel, NotificationStatus
from api.graphql.pagination import PageInfo, decode, encode, page_size
from api.graphql.personal import pd_field
from projections.campaign_queries import CampaignRow, Tally, read_results, read_skipped, tally


@strawberry.enum(description="Created, running (inside its window), finished or cancelled.")
class CampaignStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


@strawberry.type(description="How far a campaign has got, and what became of its messages.")
class CampaignProgress:
    recipients: int = strawberry.field(description="On the list.")
    requested: int = strawberry.field(description="Notifications asked for so far.")
    skipped: int = strawberry.field(
        description="Recipients not asked for (unknown account, or its data erased).")
    waiting: int = strawberry.field(description="Asked for, not yet sent.")
    sent: int = strawberry.field(description="Taken by a gateway (delivered and read included).")
    delivered: int = strawberry.field(description="Delivered (read included).")
    read: int
    failed: int = strawberry.field(description="Refused by the gateway or bounced.")
    not_sent: int = strawberry.field(description="No channel allowed, or stopped in time.")
    transferred_to_operator: int = strawberry.field(
        description="Phone: calls the client asked to put through to an operator.")
    done: float = strawberry.field(description="Share of the list settled: 0 to 1.")

    @classmethod
    def of(cls, row: CampaignRow, counts: Tally) -> CampaignProgress:
        """From the campaign's row and its notifications counted by status."""
        n = counts.by_status.get
        settled = row.requested - n("requested", 0) + row.skipped
        return cls(
            recipients=row.recipients, requested=sum(counts.by_status.values()),
            skipped=row.skipped, waiting=n("requested", 0),
            sent=n("sent", 0) + n("delivered", 0) + n("read", 0),
            delivered=n("delivered", 0) + n("read", 0), read=n("read", 0),
            failed=n("failed", 0), not_sent=n("not_sent", 0),
            transferred_to_operator=counts.transferred,
            done=round(settled / row.recipients, 4) if row.recipients else 1.0)


@strawberry.type(description="What became of one recipient's message.")
class CampaignResult:
    account_number: str
    notification_id: strawberry.ID
    status: NotificationStatus
    channel: NotificationChannel | None
    reason: str | None = pd_field(
        when=lambda root: root.status is NotificationStatus.FAILED,
        description="Why it failed (the gateway's words, personal data: masked without a "
                    "purpose) or was not sent.")
    sent_at: datetime | None
    delivered_at: datetime | None


@strawberry.type
class CampaignResultEdge:
    cursor: str
    node: CampaignResult


@strawberry.type(description="Results per recipient, by account number.")
class CampaignResultConnection:
    edges: list[CampaignResultEdge]
    page_info: PageInfo


@strawberry.type(description="A recipient no message was asked for, and why.")
class SkippedRecipient:
    account_number: str
    reason: str


async def _progress(root: Campaign, info: strawberry.Info[Context, None]) -> CampaignProgress:
    """Live: counted from the notification history at each read."""
    counts = await info.context.read(tally, root.campaign_id)
    return CampaignProgress.of(root.row, counts)


async def _results(
    root: Campaign, info: strawberry.Info[Context, None], status: NotificationStatus | None = None,
    first: int | None = 50, after: str | None = None,
) -> CampaignResultConnection:
    """Per recipient, by account number."""
    size, last = page_size(first), None if after is None else decode(after, 1)[0]
    rows = await info.context.read(read_results, root.campaign_id, status, size + 1, last)
    edges = [CampaignResultEdge(cursor=encode(r.account_number), node=CampaignResult(
        account_number=r.account_number, notification_id=strawberry.ID(str(r.notification_id)),
        status=NotificationStatus(r.status), reason=r.reason, sent_at=r.sent_at,
        channel=None if r.channel is None else NotificationChannel(r.channel),
        delivered_at=r.delivered_at)) for r in rows[:size]]
    return CampaignResultConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


async def _skipped(root: Campaign, info: strawberry.Info[Context, None],
                   first: int | None = 50) -> list[SkippedRecipient]:
    """Recipients no message was asked for, by account number."""
    rows = await info.context.read(read_skipped, root.campaign_id, page_size(first))
    return [SkippedRecipient(account_number=a, reason=r) for a, r in rows]


async def _list(root: Campaign, info: strawberry.Info[Context, None], first: int | None = 50,
                after: str | None = None) -> CampaignRecipientConnection:
    """The list as given, each recipient's figures protected as its personal data."""
    return await recipient_list(root.campaign_id, (root.subject, root.text), info, first, after)


@strawberry.type(description="An auto-informing campaign (9.1.6): scenario, list, window.")
class Campaign:
    id: strawberry.ID
    name: str
    template: str
    channel: NotificationChannel
    subject: str = strawberry.field(description="The scenario's subject, with placeholders.")
    text: str = strawberry.field(description="The scenario's text, with placeholders.")
    window_start: datetime
    window_end: datetime
    status: CampaignStatus
    recipients: int
    created_by: str
    created_at: datetime
    started_at: datetime | None
    cancelled_at: datetime | None
    finished_at: datetime | None
    row: strawberry.Private[CampaignRow]
    progress: CampaignProgress = strawberry.field(
        resolver=_progress, description="Live progress and the report's figures.")
    results: CampaignResultConnection = strawberry.field(
        resolver=_results, description="What became of each recipient's message.")
    skipped: list[SkippedRecipient] = strawberry.field(
        resolver=_skipped, description="Recipients no message was asked for.")
    recipient_list: CampaignRecipientConnection = strawberry.field(
        resolver=_list, description="The list with each recipient's figures (personal data).")

    @property
    def campaign_id(self) -> UUID:
        """The campaign's id as a UUID."""
        return UUID(str(self.id))

    @classmethod
    def of(cls, row: CampaignRow) -> Campaign:
        """From a read-model row."""
        return cls(
            id=strawberry.ID(str(row.campaign_id)), name=row.name, template=row.template,
            channel=NotificationChannel(row.channel), subject=row.subject, text=row.text,
            window_start=row.window_start, window_end=row.window_end,
            status=CampaignStatus(row.status), recipients=row.recipients,
            created_by=row.created_by, created_at=row.created_at, started_at=row.started_at,
            cancelled_at=row.cancelled_at, finished_at=row.finished_at, row=row)
