"""`Account.asOf`: the account replayed from its stream up to a store time (auditor, admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import anyio.to_thread
import strawberry

from adapters.bootstrap import sla_policy
from api.graphql.audit.types import AccountState
from api.graphql.context import Context
from domain.errors import NotFoundError, ValidationError
from domain.identity import account_stream_id
from domain.replay import replay_until


class Numbered(Protocol):
    """Anything with an account number, such as the `Account` type."""

    number: str


async def as_of(
    root: Numbered, info: strawberry.Info[Context, None], at: datetime | None = None,
    version: int | None = None,
) -> AccountState:
    """The state as the ledger knew it at `at` and/or at stream `version` (the earlier cut);
    its timers follow the SLA policy and calendar the timers read model uses."""
    info.context.require("asOf")
    if at is None and version is None:
        raise ValidationError("give at, version or both: where the replay stops", "at")
    if at is not None and at.utcoffset() is None:
        raise ValidationError("at needs an offset, e.g. 2026-03-02T12:00:00+03:00", "at")
    if version is not None and version < 1:
        raise ValidationError(f"version must be 1 or more (a stream starts at 1), got {version}",
                              "version")
    services = info.context.services
    store = services.ledger.repository.event_store

    def events() -> list[Any]:
        return list(store.get(account_stream_id(root.number)))

    state = replay_until(await anyio.to_thread.run_sync(events), at=at, version=version,
                         policy=sla_policy(info.context.settings), calendar=services.calendar)
    if state is None:
        cut = f"at {at.isoformat()}" if at else f"by version {version}"
        raise NotFoundError(f"account {root.number} was not in the ledger {cut}")
    return AccountState.of(state)
