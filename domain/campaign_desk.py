"""The campaigns' command handlers: load the campaign, let it decide, save, return the position.

Campaigns live in the ledger's own event store, a stream each, beside the accounts.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from domain.campaign import CHUNK, Campaign, Skipped
from domain.campaign_commands import CreateCampaign, check_campaign
from domain.campaign_list import ListedRecipient, RecipientSealer, Values
from domain.errors import ConflictError, NotFoundError
from domain.ledger import Ledger
from domain.templates import TemplateBook

MAX_ATTEMPTS = 10
T = TypeVar("T")


class CampaignDesk:
    """Creates, starts, cancels and advances campaigns; seals and opens their lists."""

    def __init__(self, ledger: Ledger, templates: TemplateBook, sealer: RecipientSealer) -> None:
        self.ledger = ledger
        self.templates = templates
        self.sealer = sealer

    def create(self, command: CreateCampaign, campaign_id: UUID, actor: str,
               now: datetime) -> int:
        """Store a new campaign and its list (refused, nothing stored, if not acceptable)."""
        check_campaign(command, self.templates, now)
        template = self.templates.get(command.template)
        campaign = Campaign(
            campaign_id=campaign_id, name=command.name, template=template.id,
            via=command.channel, subject=template.subject, text=template.text,
            window_start=command.window_start, window_end=command.window_end,
            recipients=len(command.recipients), by=actor, at=now,
        )
        campaign.list_recipients(self.sealer.seal(campaign_id, command.recipients))
        return self._save(campaign)

    def start(self, campaign_id: UUID, actor: str, now: datetime) -> int:
        """Start it: the runner requests its notifications within the window."""
        return self._act(campaign_id, lambda c: c.start(now, actor))[1]

    def cancel(self, campaign_id: UUID, actor: str, now: datetime) -> int:
        """Cancel it: nothing more is requested or sent."""
        return self._act(campaign_id, lambda c: c.cancel(now, actor))[1]

    def record_chunk(self, campaign_id: UUID, chunk: int, requested: int,
                     skipped: list[Skipped], now: datetime) -> bool:
        """Record a chunk as asked for (once); False if it was, or the campaign stopped."""
        return self._act(campaign_id, lambda c: c.record_chunk(chunk, requested, skipped, now))[0]

    def record_unsent_chunk(self, campaign_id: UUID, chunk: int, requested: int,
                            skipped: list[Skipped], now: datetime) -> bool:
        """Record a chunk the stopped campaign never reached, its recipients not sent."""
        return self._act(campaign_id, lambda c: c.record_unsent_chunk(
            chunk, requested, skipped, now))[0]

    def finish(self, campaign_id: UUID, now: datetime) -> bool:
        """Finish a running campaign whose window is over."""
        return self._act(campaign_id, lambda c: c.finish(now))[0]

    def get(self, campaign_id: UUID) -> Campaign:
        """The campaign as its history makes it now, or NOT_FOUND."""
        try:
            campaign: Campaign = self.ledger.repository.get(campaign_id)
        except AggregateNotFoundError:
            raise NotFoundError(f"campaign {campaign_id} not found") from None
        if not isinstance(campaign, Campaign):
            raise NotFoundError(f"campaign {campaign_id} not found")
        return campaign

    def recipients(self, campaign_id: UUID, chunk: int) -> tuple[ListedRecipient, ...]:
        """One chunk of the list as stored, read from its own event (version chunk + 2)."""
        for listed in self._chunks(campaign_id, chunk, chunk):
            return listed
        raise NotFoundError(f"campaign {campaign_id} has no chunk {chunk}")

    def opened(self, campaign_id: UUID, chunk: int) -> list[tuple[str, Values | None]]:
        """Each account of a chunk with its figures; None once its account was erased."""
        listed = self.recipients(campaign_id, chunk)
        return list(zip((r.account_number for r in listed),
                        self.sealer.open(campaign_id, listed), strict=True))

    def page(self, campaign_id: UUID, start: int, count: int) -> list[tuple[str, Values | None]]:
        """Recipients `start` to `start + count` of the list (fewer at its end), opened."""
        listed = [r for chunk in self._chunks(campaign_id, start // CHUNK,
                                              (start + count - 1) // CHUNK) for r in chunk]
        page = listed[start % CHUNK:start % CHUNK + count]
        return list(zip((r.account_number for r in page), self.sealer.open(campaign_id, page),
                        strict=True))

    def _chunks(self, campaign_id: UUID, first: int, last: int) -> (
            list[tuple[ListedRecipient, ...]]):
        events = self.ledger.repository.event_store.get(campaign_id, gt=first + 1,
                                                        lte=last + 2)
        return [e.recipients for e in events
                if isinstance(e, Campaign.CampaignRecipientsListed)]

    def _act(self, campaign_id: UUID, change: Callable[[Campaign], T]) -> tuple[T, int]:
        """Decide on the campaign as stored now; the decision and the position written."""
        for attempt in range(MAX_ATTEMPTS):
            campaign = self.get(campaign_id)
            result = change(campaign)
            try:
                position = self._save(campaign)
            except IntegrityError:  # another runner moved it on: decide again on the news
                time.sleep(random.uniform(0, 0.002 * 2 ** min(attempt, 6)))
                continue
            return result, position
        raise ConflictError(f"campaign {campaign_id} kept changing; try again")

    def _save(self, campaign: Campaign) -> int:
        recordings = self.ledger.save(campaign)
        if recordings:
            return max(r.notification.id for r in recordings)
        return self.ledger.recorder.max_notification_id() or 0
