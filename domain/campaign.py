"""A campaign (автоинформирование, 9.1.6): its scenario, list, window and progress, one stream.

The recipients are stored in chunks, one event each, right after the campaign's creation, so
chunk n is always stream version n + 2; the aggregate keeps only which chunks were requested.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, event

from domain.campaign_list import ListedRecipient
from domain.errors import LedgerError, ValidationError
from domain.notification_values import NotificationChannel

CHUNK = 1_000


class CampaignStatus:
    """Created, running, then finished (its window ended) or cancelled."""

    CREATED, RUNNING, FINISHED, CANCELLED = "created", "running", "finished", "cancelled"


class Skipped(msgspec.Struct, frozen=True):
    """A recipient no notification was requested for, and why (an unknown account)."""

    account_number: str
    reason: str


class CampaignTransitionError(LedgerError):
    """The campaign's status does not allow the step."""

    code = "INVALID_TRANSITION"


class Campaign(Aggregate):
    """A stored scenario sent to a stored list within a window; decides its own steps."""

    class CampaignCreated(Aggregate.Created):
        """The scenario, the window and how many recipients in how many chunks."""

        campaign_id: UUID
        name: str
        template: str
        via: NotificationChannel
        subject: str
        text: str
        window_start: datetime
        window_end: datetime
        recipients: int
        by: str
        at: datetime
        personal_fields: ClassVar[tuple[str, ...]] = ()

    class CampaignRecipientsListed(Aggregate.Event):
        """One chunk of the list: accounts and the figures their texts need."""

        chunk: int
        recipients: tuple[ListedRecipient, ...]
        personal_fields: ClassVar[tuple[str, ...]] = ()
        """None at the event's level: each recipient's figures are sealed under its own
        account's key (domain/campaign_list.py), the stream's key would cover all of them."""

    class CampaignStarted(Aggregate.Event):
        """A supervisor started it: its notifications go out within the window."""

        at: datetime
        by: str
        personal_fields: ClassVar[tuple[str, ...]] = ()

    class CampaignChunkRequested(Aggregate.Event):
        """Every recipient of a chunk was asked for, except the skipped ones."""

        chunk: int
        requested: int
        skipped: tuple[Skipped, ...]
        at: datetime
        personal_fields: ClassVar[tuple[str, ...]] = ()

    class CampaignFinished(Aggregate.Event):
        """Its window ended (what was not sent by then will not be)."""

        at: datetime
        personal_fields: ClassVar[tuple[str, ...]] = ()

    class CampaignCancelled(Aggregate.Event):
        """A supervisor cancelled it: nothing more goes out."""

        at: datetime
        by: str
        personal_fields: ClassVar[tuple[str, ...]] = ()

    @staticmethod
    def create_id(campaign_id: UUID) -> UUID:
        """The stream id is the campaign's id."""
        return campaign_id

    @event(CampaignCreated)
    def __init__(
        self, *, campaign_id: UUID, name: str, template: str, via: NotificationChannel,
        subject: str, text: str, window_start: datetime, window_end: datetime,
        recipients: int, by: str, at: datetime,
    ) -> None:
        self.via, self.subject, self.text = via, subject, text
        self.window_start, self.window_end = window_start, window_end
        self.chunks = -(-recipients // CHUNK)
        self.status = CampaignStatus.CREATED
        self.requested: set[int] = set()
        self.started = False

    def list_recipients(self, recipients: list[ListedRecipient]) -> None:
        """Store the list in chunks, right after creation (chunk n is stream version n + 2)."""
        if self.version != 1:
            raise ValidationError("recipients are listed once, at creation", "recipients")
        for chunk, start in enumerate(range(0, len(recipients), CHUNK)):
            self._listed(chunk=chunk, recipients=tuple(recipients[start:start + CHUNK]))

    @event(CampaignRecipientsListed)
    def _listed(self, *, chunk: int, recipients: tuple[ListedRecipient, ...]) -> None:
        pass

    def start(self, at: datetime, by: str) -> None:
        """Start a created campaign whose window has not ended."""
        self._check_status(CampaignStatus.CREATED, "start")
        if at >= self.window_end:
            raise ValidationError("the campaign's window has ended", "id")
        self._started(at=at, by=by)

    @event(CampaignStarted)
    def _started(self, *, at: datetime, by: str) -> None:
        self.status = CampaignStatus.RUNNING
        self.started = True

    def record_chunk(self, chunk: int, requested: int, skipped: list[Skipped],
                     at: datetime) -> bool:
        """Record a chunk asked for once; False when it was recorded already or has stopped."""
        if chunk in self.requested or self.status != CampaignStatus.RUNNING:
            return False
        self._chunk_requested(chunk=chunk, requested=requested, skipped=tuple(skipped), at=at)
        return True

    @event(CampaignChunkRequested)
    def _chunk_requested(
        self, *, chunk: int, requested: int, skipped: tuple[Skipped, ...], at: datetime
    ) -> None:
        self.requested.add(chunk)

    def record_unsent_chunk(self, chunk: int, requested: int, skipped: list[Skipped],
                            at: datetime) -> bool:
        """Record a chunk the campaign stopped before reaching, once its recipients were
        recorded not sent (so the figures add up); False if recorded already or not owed."""
        if chunk != self.unsent_chunk():
            return False
        self._chunk_requested(chunk=chunk, requested=requested, skipped=tuple(skipped), at=at)
        return True

    def unsent_chunk(self) -> int | None:
        """The first chunk a started campaign stopped (window over, cancelled) before asking
        for: its recipients are still to be recorded not sent."""
        if not self.started or self.status not in (CampaignStatus.FINISHED,
                                                   CampaignStatus.CANCELLED):
            return None
        return next((c for c in range(self.chunks) if c not in self.requested), None)

    def finish(self, at: datetime) -> bool:
        """End a running campaign once its window is over; False if it is not running."""
        if self.status != CampaignStatus.RUNNING or at < self.window_end:
            return False
        self._finished(at=at)
        return True

    @event(CampaignFinished)
    def _finished(self, *, at: datetime) -> None:
        self.status = CampaignStatus.FINISHED

    def cancel(self, at: datetime, by: str) -> None:
        """Cancel a campaign that has not finished: nothing more goes out."""
        if self.status not in (CampaignStatus.CREATED, CampaignStatus.RUNNING):
            raise CampaignTransitionError(f"campaign {self.id} is {self.status.upper()}; "
                                          "cannot cancel")
        self._cancelled(at=at, by=by)

    @event(CampaignCancelled)
    def _cancelled(self, *, at: datetime, by: str) -> None:
        self.status = CampaignStatus.CANCELLED

    def next_chunk(self) -> int | None:
        """The first chunk not yet asked for, if the campaign is running."""
        if self.status != CampaignStatus.RUNNING:
            return None
        return next((c for c in range(self.chunks) if c not in self.requested), None)

    def _check_status(self, wanted: str, action: str) -> None:
        if self.status != wanted:
            raise CampaignTransitionError(
                f"campaign {self.id} is {self.status.upper()}; cannot {action}")
