"""A campaign's recipient list in GraphQL: each recipient's figures are that account's personal
data, opened with its own key, masked without a purpose and recorded when shown."""

from __future__ import annotations

import string
from typing import cast
from uuid import UUID

import anyio.to_thread
import strawberry
from strawberry.scalars import JSON

from adapters.notify.service import campaign_desk
from api.graphql.context import Context
from api.graphql.pagination import PageInfo, decode, encode, page_size
from api.graphql.personal import MASK, field_of, may_see, note
from domain.campaign_list import Values
from domain.errors import ValidationError
from domain.values import ERASED

Info = strawberry.Info[Context, None]


def _values(root: CampaignRecipient, info: Info) -> JSON:
    """Shown (and recorded) only with a purpose that covers the account."""
    return cast(JSON, _shown(root, info))


def _shown(root: CampaignRecipient, info: Info) -> Values:
    if root.opened is None:
        return {name: ERASED for name in sorted(root.fields)}
    if not root.opened:
        return {}
    if not may_see(info.context, root.account_number):
        return {name: MASK for name in root.opened}
    note(info, root.account_number, field_of(info))
    return root.opened


@strawberry.type(description="One account on a campaign's list, and the figures of its text.")
class CampaignRecipient:
    account_number: str
    opened: strawberry.Private[Values | None]
    fields: strawberry.Private[frozenset[str]]
    values: JSON = strawberry.field(
        resolver=_values, description='The template\'s figures, e.g. {"name": ..., "debt": '
        '...}: personal data, `***` without a purpose, `[erased]` once erased.')


@strawberry.type
class CampaignRecipientEdge:
    cursor: str
    node: CampaignRecipient


@strawberry.type(description="The list in the order it was given.")
class CampaignRecipientConnection:
    edges: list[CampaignRecipientEdge]
    page_info: PageInfo


async def recipient_list(
    campaign_id: UUID, scenario: tuple[str, str], info: Info, first: int | None,
    after: str | None,
) -> CampaignRecipientConnection:
    """A page of the list from the campaign's own events, each recipient's figures opened;
    an erased one's read `[erased]` under the names its scenario (subject, text) uses."""
    size, start = page_size(first), _start(after)
    fields = frozenset(name for part in scenario for _, name, _, _ in string.Formatter().parse(
        part) if name and name != "account_number")
    desk = campaign_desk(info.context.services, info.context.settings)
    rows = await anyio.to_thread.run_sync(lambda: desk.page(campaign_id, start, size + 1))
    edges = [CampaignRecipientEdge(cursor=encode(str(start + i)), node=CampaignRecipient(
        account_number=number, opened=values, fields=fields))
        for i, (number, values) in enumerate(rows[:size])]
    return CampaignRecipientConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > size, end_cursor=edges[-1].cursor if edges else None))


def _start(after: str | None) -> int:
    if after is None:
        return 0
    index = decode(after, 1)[0]
    if not index.isdigit():
        raise ValidationError("after is not a cursor of this list", "after")
    return int(index) + 1
