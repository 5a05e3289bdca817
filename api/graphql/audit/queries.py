"""`Account.asOf`: the account replayed from its stream up to a store time (auditor, admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import anyio.to_thread
import strawberry

from api.graphql.audit.types import AccountState
from api.graphql.context import Context
from domain.errors import NotFoundError
from domain.identity import account_stream_id
from domain.replay import replay_until


class Numbered(Protocol):
    """Anything with an account number, such as the `Account` type."""

    number: str


async def as_of(
    root: Numbered, info: strawberry.Info[Context, None], at: datetime,
    version: int | None = None,
) -> AccountState:
    """The state as the ledger knew it at `at` (and no later than `version`, if given)."""
    info.context.require("asOf")
    store = info.context.services.ledger.repository.event_store

    def events() -> list[Any]:
        return list(store.get(account_stream_id(root.number)))

    state = replay_until(await anyio.to_thread.run_sync(events), at=at, version=version)
    if state is None:
        raise NotFoundError(f"account {root.number} was not in the ledger at {at.isoformat()}")
    return AccountState.of(state)
