"""Queries of accounts."""

from __future__ import annotations

import strawberry

from api.graphql.accounts.types import Account
from api.graphql.context import Context
from projections.timeline import account_exists


async def account(info: strawberry.Info[Context, None], number: str) -> Account | None:
    """An account by its number; null if it was never contacted."""
    info.context.require("account")
    found = await info.context.read(account_exists, number)
    return Account(number=number) if found else None


@strawberry.type
class AccountQueries:
    account: Account | None = strawberry.field(
        resolver=account, description="An account by its number; null if it was never contacted."
    )
