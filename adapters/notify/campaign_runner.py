"""The campaign runner: asks for a running campaign's notifications, a chunk at a time.

Inside the window and the allowed hours it requests one chunk of recipients in one batch
(`execute_batch`: one transaction for a thousand accounts), then records the chunk on the
campaign. Each account refuses a second request of the same campaign, so a runner that
crashed between the two, or a second runner, asks for nothing twice. A recipient whose
account was erased (its figures no longer open) is skipped with the reason. Once the window is over,
or the campaign is cancelled, what has not gone out is recorded as not sent, with the reason:
the notifications waiting, and the recipients of chunks never asked for (each is requested
withheld, so its account records it not sent, and the chunk is recorded on the campaign).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from psycopg import Connection
from psycopg_pool import ConnectionPool

from adapters.notify import dispatch_store
from adapters.pg_retry import log_failed_round
from domain.calendar import BusinessCalendar
from domain.campaign import Campaign, CampaignStatus, Skipped
from domain.campaign_commands import AllowedHours
from domain.campaign_desk import CampaignDesk
from domain.campaign_list import ERASED_REASON, Values
from domain.errors import LedgerError
from domain.ledger import Outcome, Request
from domain.notification_commands import RecordNotificationNotSent, RequestNotification
from domain.notification_values import NotificationKind, Trigger
from domain.templates import Template
from projections.campaign_queries import running_campaigns, stopped_with_unsent

log = logging.getLogger("ledger.campaigns")

ACTOR = "campaign-runner"
SUB_BATCH = 250
_WHY = {CampaignStatus.CANCELLED: "campaign cancelled",
        CampaignStatus.FINISHED: "campaign window ended"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


class CampaignRunner:
    """Advances every running campaign; settles stopped ones."""

    def __init__(self, pool: ConnectionPool, desk: CampaignDesk, calendar: BusinessCalendar,
                 hours: AllowedHours, now: Callable[[], datetime] = _utc_now) -> None:
        self.pool, self.desk, self.calendar, self.hours, self.now = (
            pool, desk, calendar, hours, now)
        self.requested = 0

    def run(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Scan until stopped; a failed scan is logged and tried again."""
        while not stop.is_set():
            try:
                busy = self.scan()
            except Exception:
                log_failed_round(log, "campaign scan failed; retrying")
                busy = 0
            if not busy:
                stop.wait(interval)

    def scan(self) -> int:
        """One chunk of each running campaign, and settling of stopped ones; how many
        notifications were requested or settled."""
        with self.pool.connection() as conn:
            running, stopped = running_campaigns(conn), stopped_with_unsent(conn)
            unreached = stopped_with_unrequested(conn)
        done = sum(self.advance(campaign_id) for campaign_id in running)
        done += sum(self.close_unrequested(campaign_id) for campaign_id in unreached)
        return done + sum(self.settle(campaign_id) for campaign_id in stopped)

    def advance(self, campaign_id: UUID) -> int:
        """Request the next chunk if the window and the hours allow; finish after the window."""
        campaign, now = self.desk.get(campaign_id), self.now()
        if campaign.status != CampaignStatus.RUNNING:
            return 0
        if now >= campaign.window_end:
            self.desk.finish(campaign_id, now)
            return self.settle(campaign_id) + self.close_unrequested(campaign_id)
        chunk = campaign.next_chunk()
        if chunk is None or now < campaign.window_start or not self.hours.allow(
                self.calendar.local(now)):
            return 0
        return self._request_chunk(campaign, chunk, now)

    def close_unrequested(self, campaign_id: UUID) -> int:
        """A stopped campaign's next chunk never asked for: its recipients are recorded not
        sent, with the reason, so that every recipient is accounted for."""
        campaign = self.desk.get(campaign_id)
        chunk, why = campaign.unsent_chunk(), _WHY.get(campaign.status)
        if chunk is None or why is None:
            return 0
        return self._request_chunk(campaign, chunk, self.now(), why)

    def _request_chunk(self, campaign: Campaign, chunk: int, now: datetime,
                       withheld: str | None = None) -> int:
        """Ask for a chunk's notifications (withheld: recorded not sent at once) in batches,
        then record the chunk on the campaign; how many recipients it had."""
        recipients = self.desk.opened(campaign.id, chunk)
        live = [(account, values) for account, values in recipients if values is not None]
        results = self._execute([
            Request(_request(campaign, account, values, now, withheld), ACTOR, now)
            for account, values in live])
        refused = [Skipped(account, result.message)
                   for (account, _), result in zip(live, results, strict=True)
                   if isinstance(result, LedgerError)]
        erased = [Skipped(account, ERASED_REASON) for account, v in recipients if v is None]
        record = self.desk.record_chunk if withheld is None else self.desk.record_unsent_chunk
        record(campaign.id, chunk, len(live) - len(refused), erased + refused, now)
        made = sum(1 for r in results if not isinstance(r, LedgerError) and not r.duplicate)
        self.requested += made
        return len(recipients)

    def _execute(self, requests: list[Request]) -> list[Outcome | LedgerError]:
        """In transactions of SUB_BATCH: the event store's table lock is held per commit, and
        the API's own writes wait behind it no longer than one of these."""
        results: list[Outcome | LedgerError] = []
        for start in range(0, len(requests), SUB_BATCH):
            results += self.desk.ledger.execute_batch(requests[start:start + SUB_BATCH])
        return results

    def settle(self, campaign_id: UUID, limit: int = 1000) -> int:
        """Record the stopped campaign's unsent notifications as not sent, with the reason."""
        status, now = self.desk.get(campaign_id).status, self.now()
        why = _WHY.get(status)
        if why is None:
            return 0
        with self.pool.connection() as conn:
            waiting = dispatch_store.unsent(conn, campaign_id, limit)
        requests = [Request(RecordNotificationNotSent(
            account_number=account, notification_id=notification_id, reason=why, at=now),
            ACTOR, now) for account, notification_id in waiting]
        for result in self._execute(requests):
            if isinstance(result, LedgerError):  # sent meanwhile: nothing to settle
                log.info("not settled", extra={"reason": result.message})
        return len(requests)


def stopped_with_unrequested(conn: Connection[Any]) -> list[UUID]:
    """Started campaigns that stopped before asking for every chunk (the read model's
    requested and skipped fall short of the list)."""
    rows = conn.execute(
        "SELECT campaign_id FROM campaigns WHERE status IN ('cancelled', 'finished')"
        " AND started_at IS NOT NULL AND requested + skipped < recipients").fetchall()
    return [UUID(str(r[0])) for r in rows]


def _request(campaign: Campaign, account_number: str, values: Values,
             now: datetime, withheld: str | None = None) -> RequestNotification:
    template = Template(id="campaign", kind=NotificationKind.CAMPAIGN, channels=(campaign.via,),
                        subject=campaign.subject, text=campaign.text)
    subject, text = template.render({**values, "account_number": account_number})
    return RequestNotification(
        account_number=account_number, kind=NotificationKind.CAMPAIGN,
        trigger=Trigger(rule="campaign", ref=str(campaign.id), campaign_id=campaign.id),
        channels=(campaign.via,), subject=subject, text=text, at=now, withheld=withheld)

