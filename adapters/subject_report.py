"""The data subject's report: every personal datum the log holds of an account, and every
access to it and erasure of it (152-ФЗ ст. 14: what is processed, by whom, on what ground)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import msgspec
from psycopg_pool import ConnectionPool

from adapters.notify.campaign_sealer import CampaignSealer
from adapters.pg_retry import on_live_connection
from domain.errors import NotFoundError
from domain.identity import account_stream_id
from domain.ledger import Ledger
from domain.personal_data import personal_fields
from domain.values import ERASED
from projections.base import camelized, event_type
from projections.campaign_recipients import Listing, listings
from projections.pd_audit_queries import (
    AccessFilter,
    AccessRow,
    ErasureRow,
    read_accesses,
    read_erasures,
)

PAGE = 1000


class HeldItem(msgspec.Struct, frozen=True, kw_only=True):
    """The personal fields one stored event holds, as read now (erased ones as erased)."""

    version: int
    event_type: str
    recorded_at: datetime
    appeal_number: str | None
    fields: dict[str, Any]
    campaign_id: UUID | None = None
    """For a campaign's list: the campaign (`version` is then its stream's)."""


class SubjectReport(msgspec.Struct, frozen=True, kw_only=True):
    """All personal data held of an account, and every access to it."""

    account_number: str
    generated_at: datetime
    held: list[HeldItem]
    accesses: list[AccessRow]
    erasures: list[ErasureRow]


def subject_report(
    ledger: Ledger, pool: ConnectionPool, number: str, sealer: CampaignSealer | None = None
) -> SubjectReport:
    """Read the account's stream (decrypted, or erased), the campaign lists that hold figures
    of it (opened by `sealer`), and its audit rows."""
    events = list(ledger.repository.event_store.get(account_stream_id(number)))
    if not events:
        raise NotFoundError(f"account {number} not found")
    accesses, erasures, listed = on_live_connection(pool, lambda conn: (
        _all_accesses(conn, number), read_erasures(conn, number),
        listings(conn, number) if sealer is not None else []))
    campaigns = [_listed(ledger, sealer, number, x) for x in listed if sealer is not None]
    return SubjectReport(
        account_number=number, generated_at=datetime.now(UTC),
        held=[_held(e) for e in events if _holds(e)] + [c for c in campaigns if c is not None],
        accesses=accesses, erasures=erasures,
    )


def _listed(ledger: Ledger, sealer: CampaignSealer, number: str, listing: Listing
            ) -> HeldItem | None:
    """The figures a campaign's list holds of the account (erased once its key is gone)."""
    event: Any = next(iter(ledger.repository.event_store.get(
        listing.campaign_id, gt=listing.listed_version - 1, lte=listing.listed_version)))
    mine = [r for r in event.recipients if r.account_number == number]
    if not mine or not (mine[0].values or mine[0].sealed):
        return None  # listed with no figures: nothing personal held there
    values = sealer.open(listing.campaign_id, mine)[0]
    return HeldItem(version=listing.listed_version, event_type=event_type(event),
                    recorded_at=event.timestamp, appeal_number=None,
                    fields=dict(values) if values is not None else {"values": ERASED},
                    campaign_id=listing.campaign_id)


def _holds(event: Any) -> bool:
    return any(getattr(event, n, None) is not None for n in personal_fields(type(event)))


def _held(event: Any) -> HeldItem:
    values = {n: getattr(event, n) for n in personal_fields(type(event))}
    return HeldItem(
        version=event.originator_version, event_type=event_type(event),
        recorded_at=event.timestamp, appeal_number=getattr(event, "appeal_number", None),
        fields=camelized(msgspec.to_builtins(values)),
    )


def _all_accesses(conn: Any, number: str) -> list[AccessRow]:
    found: list[AccessRow] = []
    while page := read_accesses(conn, AccessFilter(account_number=number), PAGE,
                                found[-1].position if found else None):
        found.extend(page)
    return found
